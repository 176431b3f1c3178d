// Authenticated media (spec v1.11): downloads need the access token in a header, so media is
// fetched with fetch() and shown through blob: URLs, cached per URL for the page's lifetime.
import { useEffect, useState } from "react";

export interface MediaAuth {
  baseUrl: string;
  accessToken: string;
}

export function parseMxc(mxc: string | undefined): { server: string; id: string } | null {
  const m = /^mxc:\/\/([^/]+)\/([^/?#]+)$/.exec(mxc ?? "");
  return m ? { server: m[1], id: m[2] } : null;
}

export function downloadUrl(baseUrl: string, mxc: string): string | null {
  const p = parseMxc(mxc);
  if (!p) return null;
  return `${baseUrl}/_matrix/client/v1/media/download/${encodeURIComponent(p.server)}/${encodeURIComponent(p.id)}`;
}

export function thumbnailUrl(baseUrl: string, mxc: string, width: number, height: number, method: "crop" | "scale" = "scale"): string | null {
  const p = parseMxc(mxc);
  if (!p) return null;
  return (
    `${baseUrl}/_matrix/client/v1/media/thumbnail/${encodeURIComponent(p.server)}/${encodeURIComponent(p.id)}` +
    `?width=${width}&height=${height}&method=${method}`
  );
}

const cache = new Map<string, Promise<string>>();

async function fetchBlobUrl(url: string, token: string): Promise<string> {
  const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`media ${res.status}`);
  return URL.createObjectURL(await res.blob());
}

/** Resolves to a blob: URL for the media; a failed fetch is retried on the next request. */
export function loadMedia(auth: MediaAuth, mxc: string, thumb?: { w: number; h: number; method?: "crop" | "scale" }): Promise<string> {
  const full = downloadUrl(auth.baseUrl, mxc);
  if (!full) return Promise.reject(new Error("not an mxc URI"));
  const url = thumb ? thumbnailUrl(auth.baseUrl, mxc, thumb.w, thumb.h, thumb.method)! : full;
  let p = cache.get(url);
  if (!p) {
    p = fetchBlobUrl(url, auth.accessToken).catch((e) => {
      cache.delete(url);
      // Servers may decline to thumbnail some types; the original is the spec's fallback.
      if (thumb) return loadMedia(auth, mxc);
      throw e;
    });
    cache.set(url, p);
  }
  return p;
}

export type MediaState = { url: string | null; error: boolean };

export function useMedia(auth: MediaAuth | null, mxc: string | undefined, thumb?: { w: number; h: number; method?: "crop" | "scale" }): MediaState {
  const [state, setState] = useState<MediaState>({ url: null, error: false });
  const tw = thumb?.w;
  const th = thumb?.h;
  const tm = thumb?.method;
  useEffect(() => {
    if (!auth || !mxc) {
      setState({ url: null, error: false });
      return;
    }
    let live = true;
    setState({ url: null, error: false });
    loadMedia(auth, mxc, tw && th ? { w: tw, h: th, method: tm } : undefined).then(
      (url) => live && setState({ url, error: false }),
      () => live && setState({ url: null, error: true }),
    );
    return () => {
      live = false;
    };
  }, [auth, mxc, tw, th, tm]);
  return state;
}

/** Reads width/height (and duration for audio/video) of a local file before upload. */
export function probeMedia(file: File): Promise<{ w?: number; h?: number; duration?: number }> {
  const src = URL.createObjectURL(file);
  const done = <T,>(v: T) => {
    URL.revokeObjectURL(src);
    return v;
  };
  return new Promise((resolve) => {
    const fail = () => resolve(done({}));
    if (file.type.startsWith("image/")) {
      const img = new Image();
      img.onload = () => resolve(done({ w: img.naturalWidth, h: img.naturalHeight }));
      img.onerror = fail;
      img.src = src;
    } else if (file.type.startsWith("video/") || file.type.startsWith("audio/")) {
      const el = document.createElement(file.type.startsWith("video/") ? "video" : "audio");
      el.preload = "metadata";
      el.onloadedmetadata = () => {
        const v = el as HTMLVideoElement;
        const duration = Number.isFinite(el.duration) ? Math.round(el.duration * 1000) : undefined;
        resolve(done({ w: v.videoWidth || undefined, h: v.videoHeight || undefined, duration }));
      };
      el.onerror = fail;
      el.src = src;
    } else {
      fail();
    }
  });
}
