// Renders a message's content: sanitized HTML or linkified text, media, polls.
import { useMemo } from "react";
import type { MatrixEvent, Room } from "matrix-js-sdk";
import { linkify, stripReplyFallback } from "../matrix/format";
import { sanitizeHtml } from "../matrix/sanitize";
import { POLL_START_TYPES } from "../matrix/polls";
import { useT } from "../i18n";
import { AudioView, FileView, ImageView, VideoView } from "./MediaViews";
import PollView from "./PollView";

export function PlainText({ text }: { text: string }) {
  return (
    <>
      {linkify(text).map((seg, i) =>
        seg.href ? (
          <a key={i} href={seg.href} target="_blank" rel="noopener noreferrer nofollow">
            {seg.text}
          </a>
        ) : (
          <span key={i}>{seg.text}</span>
        ),
      )}
    </>
  );
}

/** Text of a message, formatted when it carries org.matrix.custom.html. */
export function FormattedText({ content }: { content: Record<string, unknown> }) {
  const html = content.format === "org.matrix.custom.html" && typeof content.formatted_body === "string" ? content.formatted_body : null;
  const clean = useMemo(() => (html !== null ? sanitizeHtml(html) : null), [html]);
  if (clean !== null) return <div className="msg-text html" dangerouslySetInnerHTML={{ __html: clean }} />;
  return (
    <div className="msg-text">
      <PlainText text={stripReplyFallback(String(content.body ?? ""))} />
    </div>
  );
}

export default function MessageBody({ event, room }: { event: MatrixEvent; room: Room }) {
  const t = useT();
  if (event.isRedacted()) return <div className="msg-text deleted">{t("message.deleted")}</div>;
  const type = event.getType();
  if (type === "m.room.encrypted") return <div className="msg-text deleted">{t("message.encrypted")}</div>;
  if (POLL_START_TYPES.includes(type)) return <PollView event={event} room={room} />;
  const content = event.getContent();
  const url = typeof content.url === "string" ? content.url : "";
  const info = (content.info ?? {}) as Record<string, number | undefined> & { mimetype?: string };
  const name = String(content.filename ?? content.body ?? "");
  switch (content.msgtype) {
    case "m.image":
      return url ? <ImageView mxc={url} info={info} alt={name} /> : <FormattedText content={content} />;
    case "m.video":
      return url ? <VideoView mxc={url} info={info} name={name} /> : <FormattedText content={content} />;
    case "m.audio":
      return url ? <AudioView mxc={url} info={info} voice={!!content["org.matrix.msc3245.voice"]} name={name} /> : <FormattedText content={content} />;
    case "m.file":
      return url ? <FileView mxc={url} info={info} name={name} /> : <FormattedText content={content} />;
    case "m.emote": {
      const sender = room.getMember(event.getSender() ?? "")?.name ?? event.getSender();
      return (
        <div className="msg-text emote">
          * {sender} <PlainText text={String(content.body ?? "")} />
        </div>
      );
    }
    default:
      if (type === "m.sticker" && url) return <ImageView mxc={url} info={info} alt={name} />;
      return <FormattedText content={content} />;
  }
}
