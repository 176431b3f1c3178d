import { AuthError, errorKeyFor, login, normalizeBaseUrl, register } from "../matrix/auth";

function reply(status: number, body: unknown) {
  return Promise.resolve(new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } }));
}

afterEach(() => vi.unstubAllGlobals());

describe("auth", () => {
  it("normalises server addresses", () => {
    expect(normalizeBaseUrl("matrix.example.org/")).toBe("https://matrix.example.org");
    expect(normalizeBaseUrl("localhost:8008")).toBe("http://localhost:8008");
    expect(normalizeBaseUrl("127.0.0.1:8008")).toBe("http://127.0.0.1:8008");
    expect(normalizeBaseUrl(" http://h:1/// ")).toBe("http://h:1");
  });

  it("maps errors to friendly messages", () => {
    expect(errorKeyFor("login", 403, { errcode: "M_FORBIDDEN" })).toBe("auth.error.wrongPassword");
    expect(errorKeyFor("register", 400, { errcode: "M_USER_IN_USE" })).toBe("auth.error.userTaken");
    expect(errorKeyFor("login", 429, { errcode: "M_LIMIT_EXCEEDED" })).toBe("auth.error.rateLimited");
    expect(errorKeyFor("login", 404, {})).toBe("auth.error.notMatrix");
  });

  it("logs in with m.login.password", async () => {
    const fetch = vi.fn(() => reply(200, { user_id: "@a:x", device_id: "D", access_token: "tok" }));
    vi.stubGlobal("fetch", fetch);
    await expect(login("http://h", "a", "pw")).resolves.toEqual({ baseUrl: "http://h", userId: "@a:x", deviceId: "D", accessToken: "tok" });
    const body = JSON.parse((fetch.mock.calls[0] as unknown as [string, RequestInit])[1].body as string);
    expect(body).toMatchObject({ type: "m.login.password", identifier: { type: "m.id.user", user: "a" }, password: "pw" });
  });

  it("reports a wrong password", async () => {
    vi.stubGlobal("fetch", () => reply(403, { errcode: "M_FORBIDDEN" }));
    await expect(login("http://h", "a", "bad")).rejects.toMatchObject({ key: "auth.error.wrongPassword" });
  });

  it("reports an unreachable server", async () => {
    vi.stubGlobal("fetch", () => Promise.reject(new TypeError("Failed to fetch")));
    const err = await login("http://h", "a", "pw").catch((e) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err.key).toBe("auth.error.unreachable");
  });

  it("registers through the dummy UIA stage and sets a display name", async () => {
    const calls: string[] = [];
    vi.stubGlobal("fetch", (url: string, init: RequestInit) => {
      calls.push(`${init.method} ${url.replace("http://h/_matrix/client/v3", "")} ${init.body}`);
      if (url.endsWith("/register") && !String(init.body).includes("auth")) return reply(401, { session: "S", flows: [{ stages: ["m.login.dummy"] }] });
      if (url.endsWith("/register")) return reply(200, { user_id: "@a:x", device_id: "D", access_token: "tok" });
      return reply(200, {});
    });
    await expect(register("http://h", "a", "pw")).resolves.toMatchObject({ userId: "@a:x" });
    expect(calls[1]).toContain('"auth":{"type":"m.login.dummy","session":"S"}');
    expect(calls[2]).toMatch(/^PUT \/profile\/%40a%3Ax\/displayname \{"displayname":"a"\}/);
  });

  it("reports a taken username", async () => {
    vi.stubGlobal("fetch", () => reply(400, { errcode: "M_USER_IN_USE" }));
    await expect(register("http://h", "a", "pw")).rejects.toMatchObject({ key: "auth.error.userTaken" });
  });
});
