// Voice notes with MediaRecorder: start, then stop (returning the clip) or cancel.
import { useCallback, useEffect, useRef, useState } from "react";

export interface Clip {
  file: File;
  durationMs: number;
}

function pickMime(): string {
  const options = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/mp4"];
  return options.find((m) => typeof MediaRecorder !== "undefined" && MediaRecorder.isTypeSupported(m)) ?? "";
}

export function useRecorder() {
  const [recording, setRecording] = useState(false);
  const [elapsed, setElapsed] = useState(0);
  const rec = useRef<MediaRecorder | null>(null);
  const chunks = useRef<Blob[]>([]);
  const started = useRef(0);
  const timer = useRef<ReturnType<typeof setInterval> | null>(null);

  const cleanup = useCallback(() => {
    if (timer.current) clearInterval(timer.current);
    timer.current = null;
    rec.current?.stream.getTracks().forEach((tr) => tr.stop());
    rec.current = null;
    setRecording(false);
    setElapsed(0);
  }, []);

  const start = useCallback(async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const mime = pickMime();
    const r = new MediaRecorder(stream, mime ? { mimeType: mime } : undefined);
    chunks.current = [];
    r.ondataavailable = (e) => e.data.size > 0 && chunks.current.push(e.data);
    r.start(250);
    rec.current = r;
    started.current = Date.now();
    setRecording(true);
    timer.current = setInterval(() => setElapsed(Date.now() - started.current), 250);
  }, []);

  const stop = useCallback(
    () =>
      new Promise<Clip | null>((resolve) => {
        const r = rec.current;
        if (!r) return resolve(null);
        const durationMs = Date.now() - started.current;
        r.onstop = () => {
          const type = (r.mimeType || "audio/webm").split(";")[0];
          const ext = type.includes("ogg") ? "ogg" : type.includes("mp4") ? "m4a" : "webm";
          const file = new File(chunks.current, `voice-${new Date().toISOString().replace(/[:.]/g, "-")}.${ext}`, { type });
          cleanup();
          resolve(durationMs < 400 ? null : { file, durationMs });
        };
        r.stop();
      }),
    [cleanup],
  );

  const cancel = useCallback(() => {
    if (rec.current) {
      rec.current.onstop = null;
      rec.current.stop();
    }
    cleanup();
  }, [cleanup]);

  useEffect(() => cancel, [cancel]);
  const supported = typeof MediaRecorder !== "undefined" && !!navigator.mediaDevices?.getUserMedia;
  return { recording, elapsed, start, stop, cancel, supported };
}
