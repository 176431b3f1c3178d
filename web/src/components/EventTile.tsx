// One timeline entry: a notice for state changes, or a message bubble with reply quote,
// body, reactions, thread summary, own-message status, readers and a hover/focus action bar.
import { lazy, Suspense, useState } from "react";
import type { MatrixEvent, Room } from "matrix-js-sdk";
import { useClient } from "../matrix/context";
import { noticeText, replyTargetOf } from "../matrix/events";
import { timeLabel } from "../matrix/days";
import type { MessageStatus } from "../matrix/status";
import { QUICK_REACTIONS } from "../emoji";
import { countKey, useI18n } from "../i18n";
import { Avatar } from "./Avatar";
import MessageBody from "./MessageBody";
import ReplyQuote from "./ReplyQuote";
import Reactions, { toggleReaction } from "./Reactions";
import { StatusIcon, Readers } from "./StatusIcon";
import { IconEdit, IconForward, IconReply, IconSmile, IconThread, IconTrash } from "./icons";
import type { LayoutActions } from "./ChatLayout";

const EmojiPicker = lazy(() => import("./EmojiPicker"));

export interface ThreadSummary {
  count: number;
  lastTs: number;
  seen: Set<string>;
}

interface Props {
  event: MatrixEvent;
  room: Room;
  continuation: boolean;
  status?: MessageStatus;
  readers: string[];
  thread?: ThreadSummary;
  highlighted?: boolean;
  inThread?: boolean;
  onReply: (ev: MatrixEvent) => void;
  onEdit: (ev: MatrixEvent) => void;
  onJump?: (eventId: string) => void;
  actions: LayoutActions;
}

const EDITABLE = new Set(["m.text", "m.emote", "m.notice"]);

export default function EventTile(props: Props) {
  const { event, room, continuation, status, readers, thread, highlighted, inThread, onReply, onEdit, onJump, actions } = props;
  const client = useClient();
  const { t, lang } = useI18n();
  const [picker, setPicker] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = event.getId() ?? "";
  const me = client.getSafeUserId();
  const own = event.getSender() === me;

  if (event.isState()) {
    return (
      <li className="notice-row" data-event-id={id}>
        <span className="notice">{noticeText(event, room, t)}</span>
      </li>
    );
  }

  const sent = !!id && !id.startsWith("~");
  const member = room.getMember(event.getSender() ?? "");
  const name = member?.name ?? event.getSender() ?? "";
  const replyTo = replyTargetOf(event);
  const redacted = event.isRedacted();
  const edited = !!event.replacingEvent() && !redacted;
  const msgtype = event.getContent().msgtype;
  const isMedia = !redacted && (msgtype === "m.image" || msgtype === "m.video" || event.getType() === "m.sticker");
  const canEdit = own && sent && !redacted && event.getType() === "m.room.message" && EDITABLE.has(event.getContent().msgtype ?? "");
  const canDelete = sent && !redacted && room.currentState.maySendRedactionForEvent(event, me);
  const time = timeLabel(event.getTs(), lang);

  const run = (p: Promise<unknown>) => p.catch((e: { data?: { error?: string }; message?: string }) => setError(e?.data?.error ?? e?.message ?? t("common.error")));
  const react = (key: string) => {
    setPicker(false);
    void run(toggleReaction(client, room, id, key));
  };
  const remove = () => {
    setConfirmDelete(false);
    void run(client.redactEvent(room.roomId, id));
  };

  return (
    <li
      className={`msg-row${own ? " own" : ""}${continuation ? " cont" : ""}${highlighted ? " flash" : ""}`}
      data-event-id={id}
      data-sender={event.getSender()}
    >
      {!own && (
        <div className="msg-avatar">{!continuation && <Avatar id={event.getSender() ?? ""} name={name} mxc={member?.getMxcAvatarUrl()} size={34} />}</div>
      )}
      <div className="msg-main">
        {!continuation && !own && (
          <div className="msg-sender">
            <strong>{name}</strong>
          </div>
        )}
        <div className="bubble-wrap">
          <div className={`bubble${redacted ? " redacted" : ""}${isMedia ? " media" : ""}`} tabIndex={0} aria-label={t("message.from", { name, time })}>
            {replyTo && !redacted && <ReplyQuote room={room} eventId={replyTo} onJump={onJump} />}
            <MessageBody event={event} room={room} />
            <span className="msg-meta">
              {edited && <span className="edited">{t("message.edited")}</span>}
              <time dateTime={new Date(event.getTs()).toISOString()}>{time}</time>
              {own && status && <StatusIcon status={status} />}
            </span>
          </div>
          {sent && !redacted && (
            <div className="msg-actions" role="toolbar" aria-label={t("message.actions")}>
              {QUICK_REACTIONS.slice(0, 3).map((k) => (
                <button key={k} className="icon-btn emoji" onClick={() => react(k)} aria-label={t("reactions.add", { key: k })}>
                  {k}
                </button>
              ))}
              <button className="icon-btn" onClick={() => setPicker((p) => !p)} aria-label={t("reactions.more")} title={t("reactions.more")} aria-expanded={picker}>
                <IconSmile size={18} />
              </button>
              <button className="icon-btn" onClick={() => onReply(event)} aria-label={t("message.reply")} title={t("message.reply")}>
                <IconReply size={18} />
              </button>
              {!inThread && (
                <button className="icon-btn" onClick={() => actions.openPanel({ kind: "thread", roomId: room.roomId, rootId: id })} aria-label={t("thread.reply")} title={t("thread.reply")}>
                  <IconThread size={18} />
                </button>
              )}
              {canEdit && (
                <button className="icon-btn" onClick={() => onEdit(event)} aria-label={t("message.edit")} title={t("message.edit")}>
                  <IconEdit size={18} />
                </button>
              )}
              <button className="icon-btn" onClick={() => actions.openDialog({ kind: "forward", event })} aria-label={t("message.forward")} title={t("message.forward")}>
                <IconForward size={18} />
              </button>
              {canDelete && (
                <button className="icon-btn danger" onClick={() => setConfirmDelete(true)} aria-label={own ? t("message.recall") : t("message.delete")} title={own ? t("message.recall") : t("message.delete")}>
                  <IconTrash size={18} />
                </button>
              )}
            </div>
          )}
          {picker && (
            <Suspense fallback={null}>
              <div className="picker-pop">
                <EmojiPicker onPick={react} onClose={() => setPicker(false)} />
              </div>
            </Suspense>
          )}
        </div>
        {confirmDelete && (
          <div className="confirm-row" role="alertdialog" aria-label={t("message.confirmDelete")}>
            <span>{t("message.confirmDelete")}</span>
            <button className="btn small danger" onClick={remove} autoFocus>
              {t("message.delete")}
            </button>
            <button className="btn small" onClick={() => setConfirmDelete(false)}>
              {t("common.cancel")}
            </button>
          </div>
        )}
        {error && (
          <div className="error small" role="alert">
            {error}
          </div>
        )}
        <Reactions event={event} room={room} />
        {thread && thread.count > 0 && !inThread && (
          <button className="thread-summary" onClick={() => actions.openPanel({ kind: "thread", roomId: room.roomId, rootId: id })}>
            <IconThread size={16} /> {t(countKey(thread.count, "thread.replyOne", "thread.replies"), { count: thread.count })}
          </button>
        )}
        {readers.length > 0 && <Readers room={room} userIds={readers} own={own} />}
      </div>
    </li>
  );
}
