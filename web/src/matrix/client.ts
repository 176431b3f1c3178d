// Creates and starts the matrix-js-sdk client for a stored session. No crypto is initialised.
import { createClient, Filter, type MatrixClient } from "matrix-js-sdk";
import type { Session } from "./session";

export function startMatrixClient(session: Session): MatrixClient {
  const client = createClient({
    baseUrl: session.baseUrl,
    accessToken: session.accessToken,
    userId: session.userId,
    deviceId: session.deviceId,
    // Without timeline support a gappy (limited) sync replaces the live timeline instead of
    // keeping old fragments around, so back-pagination from the live timeline always works.
    timelineSupport: false,
    // No calls in this client: also avoids polling /voip/turnServer.
    disableVoip: true,
  });
  // Threads are handled by the app itself (side panel), so the SDK keeps every event in the
  // room's main timeline; this does not depend on what /versions advertises.
  // A generous timeline limit keeps incremental syncs from being "limited" (gappy) in busy
  // rooms; the server's default is small.
  const filter = new Filter(session.userId);
  filter.setDefinition({ room: { timeline: { limit: 50 }, state: { lazy_load_members: true } } });
  void client.startClient({ initialSyncLimit: 30, lazyLoadMembers: true, threadSupport: false, filter });
  return client;
}
