// Room list helpers: direct chats (m.direct), ordering, creating DMs and groups.
import { EventType, KnownMembership, Preset, Visibility, type MatrixClient, type Room } from "matrix-js-sdk";

export type DirectMap = Record<string, string[]>;

export function directMap(client: MatrixClient): DirectMap {
  return (client.getAccountData(EventType.Direct)?.getContent() as DirectMap | undefined) ?? {};
}

/** The other user of a direct chat, or null for groups. */
export function dmPartner(client: MatrixClient, room: Room, map: DirectMap = directMap(client)): string | null {
  for (const [userId, rooms] of Object.entries(map)) {
    if (rooms.includes(room.roomId)) return userId;
  }
  if (room.getMyMembership() === KnownMembership.Invite) return room.getDMInviter() ?? null;
  return null;
}

export function lastActive(room: Room): number {
  return room.getLastActiveTimestamp() || 0;
}

export interface RoomBuckets {
  invites: Room[];
  dms: Room[];
  groups: Room[];
}

export function bucketRooms(client: MatrixClient): RoomBuckets {
  const map = directMap(client);
  const out: RoomBuckets = { invites: [], dms: [], groups: [] };
  for (const room of client.getRooms()) {
    const m = room.getMyMembership();
    if (m === KnownMembership.Invite) out.invites.push(room);
    else if (m === KnownMembership.Join) (dmPartner(client, room, map) ? out.dms : out.groups).push(room);
  }
  const byActivity = (a: Room, b: Room) => lastActive(b) - lastActive(a);
  out.dms.sort(byActivity);
  out.groups.sort(byActivity);
  out.invites.sort(byActivity);
  return out;
}

export async function addToDirect(client: MatrixClient, userId: string, roomId: string): Promise<void> {
  const map = { ...directMap(client) };
  const rooms = new Set(map[userId] ?? []);
  if (rooms.has(roomId)) return;
  rooms.add(roomId);
  map[userId] = [...rooms];
  await client.setAccountData(EventType.Direct, map);
}

/** An existing joined (or invited) DM with `userId`, if any. */
export function findDm(client: MatrixClient, userId: string): Room | null {
  for (const roomId of directMap(client)[userId] ?? []) {
    const room = client.getRoom(roomId);
    const m = room?.getMyMembership();
    if (room && (m === KnownMembership.Join || m === KnownMembership.Invite)) return room;
  }
  return null;
}

export async function startDm(client: MatrixClient, userId: string): Promise<string> {
  const existing = findDm(client, userId);
  if (existing) return existing.roomId;
  const { room_id } = await client.createRoom({
    is_direct: true,
    invite: [userId],
    preset: Preset.TrustedPrivateChat,
    visibility: Visibility.Private,
  });
  await addToDirect(client, userId, room_id);
  return room_id;
}

export interface GroupOptions {
  name: string;
  topic: string;
  isPublic: boolean;
  invite: string[];
}

export async function createGroup(client: MatrixClient, o: GroupOptions): Promise<string> {
  const { room_id } = await client.createRoom({
    name: o.name,
    topic: o.topic || undefined,
    preset: o.isPublic ? Preset.PublicChat : Preset.PrivateChat,
    visibility: o.isPublic ? Visibility.Public : Visibility.Private,
    invite: o.invite,
  });
  return room_id;
}

/** Accepting a DM invite records the room in our m.direct, as the spec asks invitees to. */
export async function acceptInvite(client: MatrixClient, room: Room): Promise<void> {
  const inviter = room.getDMInviter();
  await client.joinRoom(room.roomId);
  if (inviter) await addToDirect(client, inviter, room.roomId);
}

export function isUserId(s: string): boolean {
  return /^@[^:\s]+:\S+$/.test(s.trim());
}
