// Live presence of a user (online / unavailable / offline + status message).
import { UserEvent, type MatrixClient } from "matrix-js-sdk";
import { useEmitterVersion } from "../matrix/context";

export interface PresenceInfo {
  presence: "online" | "unavailable" | "offline";
  statusMsg: string;
  lastActiveAgo: number;
}

const EVENTS = [UserEvent.Presence, UserEvent.CurrentlyActive, UserEvent.LastPresenceTs, UserEvent.AvatarUrl, UserEvent.DisplayName];

export function usePresence(client: MatrixClient, userId: string | null | undefined): PresenceInfo | null {
  const user = userId ? client.getUser(userId) : null;
  // Most users are re-emitted on the client (covering objects created later); our own User
  // object is not, so listen on the object too.
  useEmitterVersion(client, EVENTS);
  useEmitterVersion(user, EVENTS);
  if (!user) return null;
  const p = user.presence;
  return {
    presence: p === "online" || p === "unavailable" ? p : "offline",
    statusMsg: user.presenceStatusMsg ?? "",
    lastActiveAgo: user.lastActiveAgo,
  };
}
