// Sign-in and registration. Uses plain fetch (matrix/auth.ts) so it loads without the SDK.
import { useState, type FormEvent } from "react";
import { useT } from "../i18n";
import { AuthError, login, normalizeBaseUrl, register } from "../matrix/auth";
import { defaultHomeserver, rememberHomeserver, type Session } from "../matrix/session";
import { Preferences } from "./Preferences";

interface Props {
  onLogin: (s: Session) => void;
  notice?: string | null;
}

export default function Login({ onLogin, notice }: Props) {
  const t = useT();
  const [mode, setMode] = useState<"login" | "register">("login");
  const [homeserver, setHomeserver] = useState(defaultHomeserver);
  const [editingServer, setEditingServer] = useState(false);
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    if (mode === "register" && password !== confirm) {
      setError(t("auth.error.mismatch"));
      return;
    }
    const baseUrl = normalizeBaseUrl(homeserver);
    if (!baseUrl) {
      setError(t("auth.error.noServer"));
      return;
    }
    setBusy(true);
    try {
      const session = await (mode === "login" ? login : register)(baseUrl, username, password);
      rememberHomeserver(baseUrl);
      onLogin(session);
    } catch (err) {
      if (err instanceof AuthError) setError(t(err.key, { server: baseUrl }));
      else setError(t("auth.error.generic"));
    } finally {
      setBusy(false);
    }
  }

  const switchMode = (m: "login" | "register") => {
    setMode(m);
    setError(null);
  };

  return (
    <div className="auth-page">
      <div className="auth-card">
        <div className="auth-brand">
          <img src="./favicon.svg" alt="" width={44} height={44} />
          <div>
            <h1>{t("app.name")}</h1>
            <p>{t("auth.tagline")}</p>
          </div>
        </div>
        <div className="tabs" role="tablist">
          <button role="tab" aria-selected={mode === "login"} className={mode === "login" ? "tab active" : "tab"} onClick={() => switchMode("login")}>
            {t("auth.signIn")}
          </button>
          <button role="tab" aria-selected={mode === "register"} className={mode === "register" ? "tab active" : "tab"} onClick={() => switchMode("register")}>
            {t("auth.createAccount")}
          </button>
        </div>
        <form onSubmit={submit} className="form" aria-label={mode === "login" ? t("auth.signIn") : t("auth.createAccount")}>
          {notice && <div className="notice">{notice}</div>}
          <div className="server-row">
            {editingServer ? (
              <label className="field">
                <span>{t("auth.homeserver")}</span>
                <input name="homeserver" value={homeserver} onChange={(e) => setHomeserver(e.target.value)} autoComplete="url" inputMode="url" />
              </label>
            ) : (
              <div className="server-summary">
                <span className="muted">{t("auth.homeserver")}</span>
                <strong>{homeserver}</strong>
                <button type="button" className="link" onClick={() => setEditingServer(true)}>
                  {t("auth.changeServer")}
                </button>
              </div>
            )}
          </div>
          <label className="field">
            <span>{t("auth.username")}</span>
            <input name="username" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" required autoFocus autoCapitalize="none" />
          </label>
          <label className="field">
            <span>{t("auth.password")}</span>
            <input name="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete={mode === "login" ? "current-password" : "new-password"} required />
          </label>
          {mode === "register" && (
            <label className="field">
              <span>{t("auth.confirmPassword")}</span>
              <input name="confirm" type="password" value={confirm} onChange={(e) => setConfirm(e.target.value)} autoComplete="new-password" required />
            </label>
          )}
          {error && (
            <div className="error" role="alert">
              {error}
            </div>
          )}
          <button className="btn primary wide" type="submit" disabled={busy}>
            {busy ? t("common.pleaseWait") : mode === "login" ? t("auth.signIn") : t("auth.createAccount")}
          </button>
        </form>
        <Preferences compact />
      </div>
    </div>
  );
}
