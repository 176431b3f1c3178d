// Sends typing notifications while the user types, throttled, and stops them when idle.
import { useCallback, useEffect, useRef } from "react";
import type { MatrixClient } from "matrix-js-sdk";

const TYPING_TIMEOUT_MS = 20_000;
const IDLE_MS = 5_000;

export function useTyping(client: MatrixClient, roomId: string): { onInput: (text: string) => void; stop: () => void } {
  const typingSince = useRef(0);
  const idle = useRef<ReturnType<typeof setTimeout> | null>(null);

  const stop = useCallback(() => {
    if (idle.current) clearTimeout(idle.current);
    idle.current = null;
    if (typingSince.current) {
      typingSince.current = 0;
      void client.sendTyping(roomId, false, 0).catch(() => {});
    }
  }, [client, roomId]);

  const onInput = useCallback(
    (text: string) => {
      if (!text.trim()) {
        stop();
        return;
      }
      const now = Date.now();
      // Re-announce before the server-side timeout runs out, not on every keystroke.
      if (now - typingSince.current > TYPING_TIMEOUT_MS - 5_000) {
        typingSince.current = now;
        void client.sendTyping(roomId, true, TYPING_TIMEOUT_MS).catch(() => {});
      }
      if (idle.current) clearTimeout(idle.current);
      idle.current = setTimeout(stop, IDLE_MS);
    },
    [client, roomId, stop],
  );

  useEffect(() => stop, [stop]);
  return { onInput, stop };
}
