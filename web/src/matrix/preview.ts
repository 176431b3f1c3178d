// Short one-line text of an event for the room list and notifications.
import type { MatrixEvent } from "matrix-js-sdk";
import type { TFunction } from "../i18n";
import { parsePoll, POLL_START_TYPES } from "./polls";
import { stripReplyFallback } from "./format";

export function previewText(ev: MatrixEvent, t: TFunction): string {
  if (ev.isRedacted()) return t("message.deleted");
  const type = ev.getType();
  const content = ev.getContent();
  if (POLL_START_TYPES.includes(type)) {
    const poll = parsePoll(type, content);
    return t("preview.poll", { question: poll?.question ?? "" });
  }
  if (type === "m.room.encrypted") return t("message.encrypted");
  switch (content.msgtype) {
    case "m.image":
      return t("preview.image");
    case "m.video":
      return t("preview.video");
    case "m.audio":
      return content["org.matrix.msc3245.voice"] ? t("preview.voice") : t("preview.audio");
    case "m.file":
      return t("preview.file", { name: content.body ?? "" });
    case "m.emote":
      return `* ${content.body ?? ""}`;
  }
  return stripReplyFallback(String(content.body ?? "")).replace(/\s+/g, " ").slice(0, 140);
}
