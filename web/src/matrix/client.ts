// Creates and starts the matrix-js-sdk client for a stored session. No crypto is initialised.
import { ClientEvent, createClient, type MatrixClient } from "matrix-js-sdk";
import type { Session } from "./session";

export function startMatrixClient(session: Session): MatrixClient {
  const client = createClient({
    baseUrl: session.baseUrl,
    accessToken: session.accessToken,
    userId: session.userId,
    deviceId: session.deviceId,
    timelineSupport: true,
    // No calls in this client: also avoids polling /voip/turnServer.
    disableVoip: true,
  });
  // Threads are handled by the app itself (side panel), so the SDK keeps every event in the
  // room's main timeline; this does not depend on what /versions advertises.
  void client.startClient({ initialSyncLimit: 30, lazyLoadMembers: true, threadSupport: false });
  return client;
}

/** Resolves once the first sync has been processed. */
export function whenPrepared(client: MatrixClient): Promise<void> {
  if (client.isInitialSyncComplete()) return Promise.resolve();
  return new Promise((resolve) => {
    const on = (state: string) => {
      if (state === "PREPARED" || state === "SYNCING") {
        client.off(ClientEvent.Sync, on);
        resolve();
      }
    };
    client.on(ClientEvent.Sync, on);
  });
}
