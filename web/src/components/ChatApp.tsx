// The signed-in app: starts the SDK client, waits for the first sync, then shows the layout.
import { useEffect, useMemo, useState } from "react";
import { ClientEvent, HttpApiEvent, type MatrixClient } from "matrix-js-sdk";
import { startMatrixClient } from "../matrix/client";
import { refreshOwnProfile } from "../matrix/profile";
import { ClientContext } from "../matrix/context";
import type { Session } from "../matrix/session";
import { useT } from "../i18n";
import ChatLayout from "./ChatLayout";

interface Props {
  session: Session;
  onLogout: (expired: boolean) => void;
}

export default function ChatApp({ session, onLogout }: Props) {
  const t = useT();
  const [client, setClient] = useState<MatrixClient | null>(null);
  const [ready, setReady] = useState(false);
  const [failing, setFailing] = useState(false);

  useEffect(() => {
    const c = startMatrixClient(session);
    let profileLoaded = false;
    const onSync = (state: string) => {
      if (state === "PREPARED" || state === "SYNCING") {
        setReady(true);
        if (!profileLoaded) {
          profileLoaded = true;
          void refreshOwnProfile(c);
        }
      }
      setFailing(state === "ERROR" || state === "RECONNECTING");
    };
    // The server revoked the token (logged out elsewhere, deactivated...): back to sign-in.
    const onLoggedOut = () => onLogout(true);
    c.on(ClientEvent.Sync, onSync);
    c.on(HttpApiEvent.SessionLoggedOut, onLoggedOut);
    setClient(c);
    return () => {
      c.off(ClientEvent.Sync, onSync);
      c.off(HttpApiEvent.SessionLoggedOut, onLoggedOut);
      c.stopClient();
    };
  }, [session, onLogout]);

  const value = useMemo(
    () => (client ? { client, session, mediaAuth: { baseUrl: session.baseUrl, accessToken: session.accessToken } } : null),
    [client, session],
  );

  if (!value || !ready) {
    return (
      <div className="splash" role="status">
        <img src="./favicon.svg" alt="" width={56} height={56} />
        <p>{failing ? t("app.unreachable", { server: session.baseUrl }) : t("app.connecting")}</p>
        {failing && (
          <button className="btn" onClick={() => onLogout(false)}>
            {t("auth.signOut")}
          </button>
        )}
      </div>
    );
  }
  return (
    <ClientContext.Provider value={value}>
      <ChatLayout offline={failing} onLogout={onLogout} />
    </ClientContext.Provider>
  );
}
