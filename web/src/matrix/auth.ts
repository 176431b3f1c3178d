// Login and registration with plain fetch, so the sign-in screen loads without matrix-js-sdk.
import type { MessageKey } from "../i18n";
import type { Session } from "./session";

export class AuthError extends Error {
  constructor(
    readonly key: MessageKey,
    readonly detail?: string,
  ) {
    super(key);
  }
}

/** Accepts "example.org", "http://host:port/" etc. and returns a base URL without a trailing slash. */
export function normalizeBaseUrl(input: string): string {
  let url = input.trim();
  if (!url) return url;
  if (!/^https?:\/\//i.test(url)) url = (url.startsWith("localhost") || /^[\d.]+(:\d+)?$/.test(url) ? "http://" : "https://") + url;
  return url.replace(/\/+$/, "");
}

interface MatrixErrorBody {
  errcode?: string;
  error?: string;
  retry_after_ms?: number;
}

/** Maps a Matrix error to a friendly catalog key. */
export function errorKeyFor(kind: "login" | "register", status: number, body: MatrixErrorBody): MessageKey {
  switch (body.errcode) {
    case "M_FORBIDDEN":
      return kind === "login" ? "auth.error.wrongPassword" : "auth.error.registrationClosed";
    case "M_USER_IN_USE":
      return "auth.error.userTaken";
    case "M_INVALID_USERNAME":
      return "auth.error.invalidUsername";
    case "M_WEAK_PASSWORD":
      return "auth.error.weakPassword";
    case "M_LIMIT_EXCEEDED":
      return "auth.error.rateLimited";
    case "M_USER_DEACTIVATED":
      return "auth.error.deactivated";
  }
  if (status === 404) return "auth.error.notMatrix";
  return "auth.error.generic";
}

async function post(baseUrl: string, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}/_matrix/client/v3${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    throw new AuthError("auth.error.unreachable", baseUrl);
  }
  let json: Record<string, unknown> = {};
  try {
    json = await res.json();
  } catch {
    throw new AuthError("auth.error.notMatrix", baseUrl);
  }
  return { status: res.status, json };
}

function toSession(baseUrl: string, json: Record<string, unknown>): Session {
  return {
    baseUrl,
    userId: String(json.user_id),
    deviceId: String(json.device_id),
    accessToken: String(json.access_token),
  };
}

const DEVICE_NAME = "Hearth Web";

export async function login(baseUrl: string, username: string, password: string): Promise<Session> {
  const { status, json } = await post(baseUrl, "/login", {
    type: "m.login.password",
    identifier: { type: "m.id.user", user: username.trim() },
    password,
    initial_device_display_name: DEVICE_NAME,
  });
  if (status !== 200) throw new AuthError(errorKeyFor("login", status, json), String(json.error ?? ""));
  return toSession(baseUrl, json);
}

/**
 * Registers with the m.login.dummy stage. The first request opens a UIA session; if the
 * server asks for dummy auth we complete it with the session it handed out.
 */
export async function register(baseUrl: string, username: string, password: string): Promise<Session> {
  const body = { username: username.trim(), password, initial_device_display_name: DEVICE_NAME };
  let { status, json } = await post(baseUrl, "/register", body);
  if (status === 401 && typeof json.session === "string") {
    const flows = (json.flows as { stages: string[] }[] | undefined) ?? [];
    const dummyOnly = flows.some((f) => f.stages.length === 1 && f.stages[0] === "m.login.dummy");
    if (!dummyOnly) throw new AuthError("auth.error.registrationUnsupported");
    ({ status, json } = await post(baseUrl, "/register", { ...body, auth: { type: "m.login.dummy", session: json.session } }));
  }
  if (status !== 200) throw new AuthError(errorKeyFor("register", status, json), String(json.error ?? ""));
  const session = toSession(baseUrl, json);
  await setInitialDisplayName(session, username.trim());
  return session;
}

/** New accounts start with their username as display name, rather than the bare user ID. */
async function setInitialDisplayName(s: Session, name: string): Promise<void> {
  try {
    await fetch(`${s.baseUrl}/_matrix/client/v3/profile/${encodeURIComponent(s.userId)}/displayname`, {
      method: "PUT",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${s.accessToken}` },
      body: JSON.stringify({ displayname: name }),
    });
  } catch {
    /* cosmetic: the account works without it */
  }
}
