// Sending: text (with reply/thread relations), edits and uploaded files.
import type { MatrixClient, UploadProgress } from "matrix-js-sdk";
import { editContent, mediaContent, msgtypeForMime, textContent, type TextOptions } from "./content";
import { probeMedia } from "./media";

type Json = Record<string, unknown>;

export function sendRaw(client: MatrixClient, roomId: string, type: string, content: Json) {
  // The SDK's typed overloads want known event types; the content is built by content.ts.
  return client.sendEvent(roomId, type as never, content as never);
}

export function sendText(client: MatrixClient, roomId: string, text: string, opts: TextOptions = {}) {
  return sendRaw(client, roomId, "m.room.message", textContent(text, opts));
}

export function sendEdit(client: MatrixClient, roomId: string, originalId: string, text: string) {
  return sendRaw(client, roomId, "m.room.message", editContent(originalId, text));
}

export class UploadUnsupportedError extends Error {}

export async function sendFile(
  client: MatrixClient,
  roomId: string,
  file: File,
  opts: TextOptions & { voice?: boolean; durationMs?: number; onProgress?: (p: UploadProgress) => void } = {},
) {
  const mime = file.type || "application/octet-stream";
  const probe = await probeMedia(file);
  let uri: string;
  try {
    const res = await client.uploadContent(file, { name: file.name, type: mime, progressHandler: opts.onProgress });
    uri = res.content_uri;
  } catch (e) {
    const err = e as { errcode?: string; httpStatus?: number };
    if (err.errcode === "M_UNRECOGNIZED" || err.httpStatus === 404) throw new UploadUnsupportedError();
    throw e;
  }
  const info = { mimetype: mime, size: file.size, ...probe };
  if (opts.durationMs) info.duration = opts.durationMs;
  const msgtype = opts.voice ? "m.audio" : msgtypeForMime(mime);
  return sendRaw(client, roomId, "m.room.message", mediaContent(msgtype, uri, file.name, info, opts));
}
