// The open room lives in the URL hash (#/room/!id:server) so reloads and back/forward keep it.
import { useCallback, useEffect, useState } from "react";

function read(): string | null {
  const m = /^#\/room\/(.+)$/.exec(window.location.hash);
  return m ? decodeURIComponent(m[1]) : null;
}

export function useHashRoom(): [string | null, (roomId: string | null) => void] {
  const [roomId, setRoomId] = useState<string | null>(read);
  useEffect(() => {
    const on = () => setRoomId(read());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  const select = useCallback((id: string | null) => {
    const hash = id ? `#/room/${encodeURIComponent(id)}` : "#/";
    if (window.location.hash !== hash) window.location.hash = hash;
    setRoomId(id);
  }, []);
  return [roomId, select];
}
