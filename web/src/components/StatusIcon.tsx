// Own-message status ticks and the small avatars of who has read up to a message.
import type { Room } from "matrix-js-sdk";
import type { MessageStatus } from "../matrix/status";
import { useT, type MessageKey } from "../i18n";
import { Avatar } from "./Avatar";

const LABEL: Record<MessageStatus, MessageKey> = {
  failed: "status.failed",
  sending: "status.sending",
  sent: "status.sent",
  delivered: "status.delivered",
  read: "status.read",
};

export function StatusIcon({ status }: { status: MessageStatus }) {
  const t = useT();
  const label = t(LABEL[status]);
  return (
    <span className={`status status-${status}`} data-status={status} title={label} role="img" aria-label={label}>
      {status === "sending" && (
        <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true"><circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" strokeWidth="1.6" /><path d="M8 5v3.5l2 1.5" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" /></svg>
      )}
      {status === "sent" && (
        <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true"><path d="M3 8.5l3 3 7-7" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" /></svg>
      )}
      {(status === "delivered" || status === "read") && (
        <svg width="18" height="14" viewBox="0 0 20 16" aria-hidden="true"><path d="M1.5 8.5l3 3 7-7M8 11.5l1 0.5 7-7.5" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" /></svg>
      )}
      {status === "failed" && <span aria-hidden="true">!</span>}
    </span>
  );
}

export function Readers({ room, userIds, own }: { room: Room; userIds: string[]; own: boolean }) {
  const t = useT();
  const names = userIds.map((u) => room.getMember(u)?.name ?? u);
  const shown = userIds.slice(0, 4);
  return (
    <div className={`readers${own ? " own" : ""}`} title={t("status.readBy", { names: names.join(", ") })} aria-label={t("status.readBy", { names: names.join(", ") })} data-testid="readers">
      {shown.map((u) => {
        const m = room.getMember(u);
        return <Avatar key={u} id={u} name={m?.name ?? u} mxc={m?.getMxcAvatarUrl()} size={16} />;
      })}
      {userIds.length > shown.length && <span className="muted small">+{userIds.length - shown.length}</span>}
    </div>
  );
}
