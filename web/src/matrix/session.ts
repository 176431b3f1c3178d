// The logged-in session lives in localStorage so a reload keeps the user signed in.
export interface Session {
  baseUrl: string;
  userId: string;
  deviceId: string;
  accessToken: string;
}

const SESSION_KEY = "hearth.session";
const HS_KEY = "hearth.homeserver";

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(SESSION_KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<Session>;
    if (s.baseUrl && s.userId && s.accessToken && s.deviceId) return s as Session;
  } catch {
    /* a corrupt entry counts as signed out */
  }
  return null;
}

export function saveSession(session: Session): void {
  localStorage.setItem(SESSION_KEY, JSON.stringify(session));
  localStorage.setItem(HS_KEY, session.baseUrl);
}

export function clearSession(): void {
  localStorage.removeItem(SESSION_KEY);
}

/** The homeserver the login form starts with: the last one used, else this page's origin. */
export function defaultHomeserver(): string {
  return localStorage.getItem(HS_KEY) || window.location.origin;
}

export function rememberHomeserver(url: string): void {
  localStorage.setItem(HS_KEY, url);
}
