// React access to the running client, plus a hook that re-renders on SDK emitter events.
import { createContext, useContext, useEffect, useState } from "react";
import type { MatrixClient } from "matrix-js-sdk";
import type { MediaAuth } from "./media";
import type { Session } from "./session";

export interface ClientValue {
  client: MatrixClient;
  session: Session;
  mediaAuth: MediaAuth;
}

export const ClientContext = createContext<ClientValue | null>(null);

export function useClientValue(): ClientValue {
  const v = useContext(ClientContext);
  if (!v) throw new Error("useClient outside ClientContext");
  return v;
}

export function useClient(): MatrixClient {
  return useClientValue().client;
}

interface Emitter {
  on(event: string, fn: (...args: unknown[]) => void): unknown;
  off(event: string, fn: (...args: unknown[]) => void): unknown;
}

/**
 * Returns a number that changes whenever `emitter` fires one of `events`, so components
 * re-read SDK state (rooms, timelines, receipts) when it changes.
 */
export function useEmitterVersion(emitter: Emitter | null | undefined, events: readonly string[], settle = false): number {
  const [version, setVersion] = useState(0);
  const key = events.join("|");
  useEffect(() => {
    if (!emitter) return;
    // With `settle`, bump again after the SDK's follow-up async work (relation aggregation,
    // applying edits) that runs just after it emits.
    const bump = () => {
      setVersion((v) => v + 1);
      if (settle) setTimeout(() => setVersion((v) => v + 1), 0);
    };
    const names = key.split("|");
    names.forEach((e) => emitter.on(e, bump));
    return () => names.forEach((e) => emitter.off(e, bump));
  }, [emitter, key, settle]);
  return version;
}
