// Top level: theme + language providers, and either the sign-in screen or the chat app.
import { lazy, Suspense, useCallback, useState } from "react";
import { I18nProvider, useT } from "./i18n";
import { ThemeContext, useTheme } from "./theme";
import { clearSession, loadSession, saveSession, type Session } from "./matrix/session";
import Login from "./components/Login";

// The chat app pulls in matrix-js-sdk; the sign-in screen does not need it.
const ChatApp = lazy(() => import("./components/ChatApp"));

function Splash() {
  const t = useT();
  return (
    <div className="splash" role="status">
      <img src="./favicon.svg" alt="" width={56} height={56} />
      <p>{t("app.loading")}</p>
    </div>
  );
}

function Root() {
  const t = useT();
  const [session, setSession] = useState<Session | null>(loadSession);
  const [notice, setNotice] = useState<string | null>(null);
  const onLogin = useCallback((s: Session) => {
    saveSession(s);
    setNotice(null);
    setSession(s);
  }, []);
  const onLogout = useCallback(
    (expired: boolean) => {
      clearSession();
      setNotice(expired ? t("auth.sessionExpired") : null);
      setSession(null);
    },
    [t],
  );
  if (!session) return <Login onLogin={onLogin} notice={notice} />;
  return (
    <Suspense fallback={<Splash />}>
      <ChatApp key={session.accessToken} session={session} onLogout={onLogout} />
    </Suspense>
  );
}

export default function App() {
  const [theme, setTheme] = useTheme();
  return (
    <ThemeContext.Provider value={{ theme, setTheme }}>
      <I18nProvider>
        <Root />
      </I18nProvider>
    </ThemeContext.Provider>
  );
}

