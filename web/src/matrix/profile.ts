// Our own name and picture, read from the profile API. Room member events are not a
// reliable source for them (a leave event carries no display name, and the SDK copies
// member names onto the User object without telling anyone).
import type { MatrixClient } from "matrix-js-sdk";
import { useEmitterVersion } from "./context";
import { CHANGED, Signal } from "./signal";

export interface OwnProfile {
  displayname?: string;
  avatarUrl?: string;
}

let current: OwnProfile = {};
const changed = new Signal();

export async function refreshOwnProfile(client: MatrixClient): Promise<void> {
  try {
    const p = await client.getProfileInfo(client.getSafeUserId());
    current = { displayname: p.displayname, avatarUrl: p.avatar_url };
    changed.emit();
  } catch {
    /* keep the last known profile */
  }
}

export function useOwnProfile(client: MatrixClient): { name: string; avatarUrl?: string } {
  useEmitterVersion(changed, [CHANGED]);
  const user = client.getUser(client.getSafeUserId());
  return { name: current.displayname || user?.displayName || client.getSafeUserId(), avatarUrl: current.avatarUrl ?? user?.avatarUrl ?? undefined };
}
