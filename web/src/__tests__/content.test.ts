import { editContent, findMentions, forwardContent, mediaContent, msgtypeForMime, reactionContent, textContent } from "../matrix/content";

describe("event contents", () => {
  it("plain text has no formatted_body", () => {
    expect(textContent("hi")).toEqual({ msgtype: "m.text", body: "hi" });
  });
  it("formatted text carries org.matrix.custom.html", () => {
    expect(textContent("**hi**")).toMatchObject({ format: "org.matrix.custom.html", formatted_body: "<strong>hi</strong>", body: "**hi**" });
  });
  it("replies use m.in_reply_to", () => {
    expect(textContent("yes", { replyTo: "$e" })["m.relates_to"]).toEqual({ "m.in_reply_to": { event_id: "$e" } });
  });
  it("thread messages fall back to the latest thread event", () => {
    expect(textContent("t", { threadRoot: "$root", threadLatest: "$last" })["m.relates_to"]).toEqual({
      rel_type: "m.thread",
      event_id: "$root",
      is_falling_back: true,
      "m.in_reply_to": { event_id: "$last" },
    });
  });
  it("edits use m.replace with m.new_content", () => {
    expect(editContent("$e", "new **text**")).toEqual({
      msgtype: "m.text",
      body: "* new **text**",
      format: "org.matrix.custom.html",
      formatted_body: "* new <strong>text</strong>",
      "m.new_content": { msgtype: "m.text", body: "new **text**", format: "org.matrix.custom.html", formatted_body: "new <strong>text</strong>" },
      "m.relates_to": { rel_type: "m.replace", event_id: "$e" },
    });
  });
  it("finds intentional mentions by user ID or @name", () => {
    const members = [
      { userId: "@bob:x", name: "Bob" },
      { userId: "@carol:x", name: "Carol Ann" },
    ];
    expect(findMentions("hi @bob:x and @carol ann", members)).toEqual(["@bob:x", "@carol:x"]);
    expect(findMentions("hi Bob", members)).toEqual([]);
    expect(textContent("hey", { mentions: [] })["m.mentions"]).toEqual({});
    expect(textContent("hey @bob:x", { mentions: ["@bob:x", "@bob:x"] })["m.mentions"]).toEqual({ user_ids: ["@bob:x"] });
  });
  it("reactions are annotations", () => {
    expect(reactionContent("$e", "👍")).toEqual({ "m.relates_to": { rel_type: "m.annotation", event_id: "$e", key: "👍" } });
  });
  it("forwarding drops relations", () => {
    expect(forwardContent({ msgtype: "m.text", body: "x", "m.relates_to": { "m.in_reply_to": { event_id: "$a" } } })).toEqual({ msgtype: "m.text", body: "x" });
  });
  it("voice notes are flagged as MSC3245 voice", () => {
    const c = mediaContent("m.audio", "mxc://s/id", "v.webm", { mimetype: "audio/webm", duration: 3000 }, { voice: true });
    expect(c).toMatchObject({ msgtype: "m.audio", url: "mxc://s/id", "org.matrix.msc3245.voice": {}, "org.matrix.msc1767.audio": { duration: 3000 } });
  });
  it("picks msgtypes from MIME types", () => {
    expect(["image/png", "video/mp4", "audio/ogg", "application/pdf"].map(msgtypeForMime)).toEqual(["m.image", "m.video", "m.audio", "m.file"]);
  });
});
