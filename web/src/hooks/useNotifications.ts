// Browser notifications + sound for live messages, and the unread count in the tab title.
import { useEffect, useRef } from "react";
import { ClientEvent, RoomEvent, type MatrixClient, type MatrixEvent, type Room, NotificationCountType } from "matrix-js-sdk";
import { shouldNotify, showNotification } from "../matrix/notify";
import { previewText } from "../matrix/preview";
import { useT } from "../i18n";

export function useNotifications(client: MatrixClient, activeRoomId: string | null, openRoom: (id: string) => void): void {
  const t = useT();
  const active = useRef(activeRoomId);
  active.current = activeRoomId;
  const tRef = useRef(t);
  tRef.current = t;

  useEffect(() => {
    const onTimeline = (ev: MatrixEvent, room: Room | undefined, toStart: boolean | undefined, removed: boolean, data: { liveEvent?: boolean }) => {
      if (toStart || removed || !data?.liveEvent || !client.isInitialSyncComplete()) return;
      if (ev.getTs() < Date.now() - 60_000) return; // catch-up after being offline is not "new"
      if (!shouldNotify(client, ev, room, active.current)) return;
      const sender = room?.getMember(ev.getSender() ?? "")?.name ?? ev.getSender() ?? "";
      const title = room && room.name !== sender ? `${sender} · ${room.name}` : sender;
      showNotification({ title, body: previewText(ev, tRef.current) }, () => room && openRoom(room.roomId));
    };
    client.on(RoomEvent.Timeline, onTimeline);
    return () => {
      client.off(RoomEvent.Timeline, onTimeline);
    };
  }, [client, openRoom]);

  // Unread total in the title, so a background tab shows activity.
  useEffect(() => {
    const update = () => {
      const total = client
        .getRooms()
        .reduce((n, r) => n + (r.getMyMembership() === "join" ? r.getUnreadNotificationCount(NotificationCountType.Total) : 0), 0);
      document.title = total > 0 ? `(${total}) Hearth` : "Hearth";
    };
    update();
    client.on(ClientEvent.Sync, update);
    client.on(RoomEvent.Timeline, update);
    return () => {
      client.off(ClientEvent.Sync, update);
      client.off(RoomEvent.Timeline, update);
    };
  }, [client]);
}
