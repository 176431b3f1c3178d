// Layout of the signed-in app: room list, the open room, and an optional side panel
// (thread or search). Dialogs are loaded on demand to keep the first load small.
import { lazy, Suspense, useCallback, useEffect, useState } from "react";
import { ClientEvent, type MatrixEvent } from "matrix-js-sdk";
import { useClient, useEmitterVersion } from "../matrix/context";
import { useHashRoom } from "../hooks/useHashRoom";
import { useNotifications } from "../hooks/useNotifications";
import { useT } from "../i18n";
import Sidebar from "./Sidebar";
import RoomView from "./RoomView";

const CreateRoomDialog = lazy(() => import("./CreateRoomDialog"));
const ContactsDialog = lazy(() => import("./ContactsDialog"));
const PublicRoomsDialog = lazy(() => import("./PublicRoomsDialog"));
const ProfileDialog = lazy(() => import("./ProfileDialog"));
const RoomSettings = lazy(() => import("./RoomSettings"));
const ForwardDialog = lazy(() => import("./ForwardDialog"));
const ThreadPanel = lazy(() => import("./ThreadPanel"));
const SearchPanel = lazy(() => import("./SearchPanel"));

export type Dialog =
  | { kind: "create" }
  | { kind: "contacts" }
  | { kind: "public" }
  | { kind: "profile" }
  | { kind: "roomSettings"; roomId: string }
  | { kind: "forward"; event: MatrixEvent };

export type Panel = { kind: "thread"; roomId: string; rootId: string } | { kind: "search"; roomId?: string };

export interface LayoutActions {
  openDialog: (d: Dialog) => void;
  openPanel: (p: Panel | null) => void;
  selectRoom: (roomId: string | null) => void;
}

interface Props {
  offline: boolean;
  onLogout: (expired: boolean) => void;
}

// Rooms selected in this session before the server's sync delivered them.
const requested = new Map<string, number>();
function pendingRoom(roomId: string): boolean {
  const since = requested.get(roomId) ?? 0;
  return Date.now() - since < 15_000;
}

export default function ChatLayout({ offline, onLogout }: Props) {
  const client = useClient();
  const t = useT();
  const [roomId, setHashRoom] = useHashRoom();
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [panel, setPanel] = useState<Panel | null>(null);
  const openRoom = useCallback((id: string) => setHashRoom(id), [setHashRoom]);
  // A room we just created or joined appears with the next sync.
  useEmitterVersion(client, [ClientEvent.Room]);
  useNotifications(client, roomId, openRoom);

  // Escape closes the side panel (dialogs and the composer handle their own Escape first).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape" && !e.defaultPrevented && !document.querySelector(".modal")) setPanel(null);
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  // A thread panel belongs to its room.
  useEffect(() => {
    setPanel((p) => (p?.kind === "thread" && p.roomId !== roomId ? null : p));
  }, [roomId]);

  const selectRoom = useCallback(
    (id: string | null) => {
      if (id) requested.set(id, Date.now());
      setHashRoom(id);
    },
    [setHashRoom],
  );
  const actions: LayoutActions = { openDialog: setDialog, openPanel: setPanel, selectRoom };
  const room = roomId ? client.getRoom(roomId) : null;
  const closeDialog = () => setDialog(null);

  return (
    <div className={`layout${roomId ? " has-room" : ""}${panel ? " has-panel" : ""}`}>
      {offline && (
        <div className="offline-banner" role="status">
          {t("app.reconnecting")}
        </div>
      )}
      <Sidebar activeRoomId={roomId} actions={actions} />
      <main className="main" aria-label={t("room.region")}>
        {room ? (
          <RoomView key={room.roomId} room={room} actions={actions} />
        ) : roomId && pendingRoom(roomId) ? (
          <div className="empty-main muted" role="status">{t("app.loading")}</div>
        ) : (
          <div className="empty-main">
            <img src="./favicon.svg" alt="" width={72} height={72} />
            <h2>{t("home.title")}</h2>
            <p className="muted">{t("home.subtitle")}</p>
            <div className="row gap">
              <button className="btn primary" onClick={() => setDialog({ kind: "contacts" })}>
                {t("contacts.start")}
              </button>
              <button className="btn" onClick={() => setDialog({ kind: "create" })}>
                {t("rooms.create")}
              </button>
              <button className="btn" onClick={() => setDialog({ kind: "public" })}>
                {t("rooms.explore")}
              </button>
            </div>
          </div>
        )}
      </main>
      {panel && (
        <aside className="panel" aria-label={panel.kind === "thread" ? t("thread.title") : t("search.title")}>
          <Suspense fallback={<div className="panel-loading">{t("app.loading")}</div>}>
            {panel.kind === "thread" ? (
              <ThreadPanel key={panel.rootId} roomId={panel.roomId} rootId={panel.rootId} actions={actions} onClose={() => setPanel(null)} />
            ) : (
              <SearchPanel initialRoomId={panel.roomId} onClose={() => setPanel(null)} onOpenRoom={selectRoom} />
            )}
          </Suspense>
        </aside>
      )}
      <Suspense fallback={null}>
        {dialog?.kind === "create" && <CreateRoomDialog onClose={closeDialog} onCreated={selectRoom} />}
        {dialog?.kind === "contacts" && <ContactsDialog onClose={closeDialog} onOpenRoom={selectRoom} />}
        {dialog?.kind === "public" && <PublicRoomsDialog onClose={closeDialog} onOpenRoom={selectRoom} />}
        {dialog?.kind === "profile" && <ProfileDialog onClose={closeDialog} onLogout={onLogout} />}
        {dialog?.kind === "roomSettings" && (
          <RoomSettings roomId={dialog.roomId} onClose={closeDialog} onLeft={() => { closeDialog(); selectRoom(null); }} />
        )}
        {dialog?.kind === "forward" && <ForwardDialog event={dialog.event} onClose={closeDialog} onForwarded={selectRoom} />}
      </Suspense>
    </div>
  );
}
