// Inline media: images (thumbnail, click for full size), video, audio/voice notes and files.
import { useState } from "react";
import { useClientValue } from "../matrix/context";
import { loadMedia, useMedia } from "../matrix/media";
import { formatBytes, formatDuration } from "../matrix/format";
import { useI18n } from "../i18n";
import { IconDownload, IconFile, IconMic } from "./icons";
import { Modal } from "./Modal";

type Info = { w?: number; h?: number; size?: number; mimetype?: string; duration?: number };

function fitBox(info: Info, maxW = 320, maxH = 320): { width: number; height: number } {
  const w = info.w ?? maxW;
  const h = info.h ?? maxH * 0.75;
  const scale = Math.min(1, maxW / w, maxH / h);
  return { width: Math.round(w * scale), height: Math.round(h * scale) };
}

export function ImageView({ mxc, info, alt }: { mxc: string; info: Info; alt: string }) {
  const { mediaAuth } = useClientValue();
  const { t } = useI18n();
  const box = fitBox(info);
  const { url, error } = useMedia(mediaAuth, mxc, { w: 640, h: 640, method: "scale" });
  const [open, setOpen] = useState(false);
  const full = useMedia(open ? mediaAuth : null, mxc);
  if (error) return <div className="media-error">{t("media.failed")}</div>;
  return (
    <>
      <button className="media-image" style={box} onClick={() => setOpen(true)} aria-label={t("media.viewImage", { name: alt })}>
        {url ? <img src={url} alt={alt} width={box.width} height={box.height} /> : <span className="media-placeholder" />}
      </button>
      {open && (
        <Modal title={alt} onClose={() => setOpen(false)} wide>
          <div className="lightbox">{full.url || url ? <img src={full.url ?? url!} alt={alt} /> : null}</div>
        </Modal>
      )}
    </>
  );
}

export function VideoView({ mxc, info, name }: { mxc: string; info: Info; name: string }) {
  const { mediaAuth } = useClientValue();
  const { t } = useI18n();
  const { url, error } = useMedia(mediaAuth, mxc);
  const box = fitBox(info, 360, 320);
  if (error) return <div className="media-error">{t("media.failed")}</div>;
  return url ? <video className="media-video" src={url} controls preload="metadata" style={box} aria-label={name} /> : <span className="media-placeholder" style={box} />;
}

export function AudioView({ mxc, info, voice, name }: { mxc: string; info: Info; voice: boolean; name: string }) {
  const { mediaAuth } = useClientValue();
  const { t } = useI18n();
  const { url, error } = useMedia(mediaAuth, mxc);
  return (
    <div className={`media-audio${voice ? " voice" : ""}`}>
      <span className="audio-icon" aria-hidden="true">
        <IconMic size={18} />
      </span>
      <div className="audio-body">
        <span className="small">
          {voice ? t("message.voice") : name}
          {info.duration ? ` · ${formatDuration(info.duration)}` : ""}
        </span>
        {error ? <span className="media-error">{t("media.failed")}</span> : url ? <audio src={url} controls preload="metadata" aria-label={voice ? t("message.voice") : name} /> : <span className="muted small">{t("app.loading")}</span>}
      </div>
    </div>
  );
}

export function FileView({ mxc, info, name }: { mxc: string; info: Info; name: string }) {
  const { mediaAuth } = useClientValue();
  const { t, lang } = useI18n();
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);
  async function download() {
    setBusy(true);
    setFailed(false);
    try {
      const url = await loadMedia(mediaAuth, mxc);
      const a = document.createElement("a");
      a.href = url;
      a.download = name;
      a.click();
    } catch {
      setFailed(true);
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="media-file">
      <span className="file-icon" aria-hidden="true">
        <IconFile />
      </span>
      <span className="file-text">
        <strong className="ellipsis">{name}</strong>
        <span className="muted small">{failed ? t("media.failed") : formatBytes(info.size, lang)}</span>
      </span>
      <button className="icon-btn" onClick={download} disabled={busy} aria-label={t("media.download", { name })} title={t("media.download", { name })}>
        <IconDownload />
      </button>
    </div>
  );
}
