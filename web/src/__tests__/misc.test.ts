import { isGlobalDnd, isRoomMuted } from "../matrix/notify";
import { downloadUrl, parseMxc, thumbnailUrl } from "../matrix/media";
import type { IPushRules } from "matrix-js-sdk";

describe("push rule helpers", () => {
  const rules = (room: unknown[], override: unknown[] = []) => ({ global: { room, override } }) as unknown as IPushRules;
  it("a room rule with no actions or dont_notify mutes the room", () => {
    expect(isRoomMuted(rules([{ rule_id: "!r:x", actions: [], enabled: true }]), "!r:x")).toBe(true);
    expect(isRoomMuted(rules([{ rule_id: "!r:x", actions: ["dont_notify"], enabled: true }]), "!r:x")).toBe(true);
    expect(isRoomMuted(rules([{ rule_id: "!r:x", actions: ["notify"], enabled: true }]), "!r:x")).toBe(false);
    expect(isRoomMuted(rules([{ rule_id: "!r:x", actions: [], enabled: false }]), "!r:x")).toBe(false);
    expect(isRoomMuted(rules([]), "!r:x")).toBe(false);
    expect(isRoomMuted(undefined, "!r:x")).toBe(false);
  });
  it("the enabled master rule means global do-not-disturb", () => {
    expect(isGlobalDnd(rules([], [{ rule_id: ".m.rule.master", enabled: true, actions: [] }]))).toBe(true);
    expect(isGlobalDnd(rules([], [{ rule_id: ".m.rule.master", enabled: false, actions: [] }]))).toBe(false);
  });
});

describe("authenticated media URLs", () => {
  it("parses mxc URIs", () => {
    expect(parseMxc("mxc://example.org/abc")).toEqual({ server: "example.org", id: "abc" });
    expect(parseMxc("https://example.org/abc")).toBeNull();
    expect(parseMxc("mxc://example.org/a/b")).toBeNull();
  });
  it("uses the v1 client media endpoints", () => {
    expect(downloadUrl("http://h", "mxc://s/id")).toBe("http://h/_matrix/client/v1/media/download/s/id");
    expect(thumbnailUrl("http://h", "mxc://s/id", 64, 32, "crop")).toBe("http://h/_matrix/client/v1/media/thumbnail/s/id?width=64&height=32&method=crop");
  });
});
