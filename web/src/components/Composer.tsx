// Message composer: formatting buttons, emoji, attachments, voice notes, polls, reply/edit
// banners and typing notifications. Enter sends, Shift+Enter adds a line, Escape cancels.
import { lazy, Suspense, useEffect, useRef, useState, type ClipboardEvent, type KeyboardEvent } from "react";
import type { MatrixEvent, Room } from "matrix-js-sdk";
import { useClient } from "../matrix/context";
import { sendEdit, sendFile, sendText, UploadUnsupportedError } from "../matrix/send";
import { findMentions } from "../matrix/content";
import { previewText } from "../matrix/preview";
import { formatDuration } from "../matrix/format";
import { useTyping } from "../hooks/useTyping";
import { useRecorder } from "../hooks/useRecorder";
import { useT } from "../i18n";
import { IconAttach, IconClose, IconMic, IconPoll, IconSend, IconSmile, IconStop } from "./icons";
import type { ComposerTarget } from "./RoomView";

const EmojiPicker = lazy(() => import("./EmojiPicker"));
const PollComposer = lazy(() => import("./PollComposer"));

interface Props {
  room: Room;
  target: ComposerTarget;
  onDone: () => void;
  onEditLast?: (ev: MatrixEvent) => void;
  threadRoot?: string;
  threadLatest?: string;
}

export function lastEditable(room: Room, userId: string, threadRoot?: string): MatrixEvent | null {
  const events = room.getLiveTimeline().getEvents();
  for (let i = events.length - 1; i >= 0; i--) {
    const ev = events[i];
    const rel = ev.getWireContent()["m.relates_to"];
    const inThread = rel?.rel_type === "m.thread" ? rel.event_id : undefined;
    if (ev.getSender() !== userId || ev.getType() !== "m.room.message" || ev.isRedacted() || rel?.rel_type === "m.replace") continue;
    if (inThread !== threadRoot) continue;
    if (["m.text", "m.emote", "m.notice"].includes(ev.getContent().msgtype ?? "")) return ev;
  }
  return null;
}

export default function Composer({ room, target, onDone, onEditLast, threadRoot, threadLatest }: Props) {
  const client = useClient();
  const t = useT();
  const [text, setText] = useState("");
  const [picker, setPicker] = useState(false);
  const [poll, setPoll] = useState(false);
  const [upload, setUpload] = useState<{ name: string; pct: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const typing = useTyping(client, room.roomId);
  const recorder = useRecorder();
  const { replyTo, editing } = target;

  // Entering edit mode loads the message's current text; reply mode focuses the box.
  useEffect(() => {
    if (editing) setText(String(editing.getContent().body ?? ""));
    if (editing || replyTo) input.current?.focus();
  }, [editing, replyTo]);

  useEffect(() => {
    const el = input.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, 200)}px`;
  }, [text]);

  const fail = (e: unknown) => {
    if (e instanceof UploadUnsupportedError) setError(t("media.unsupported"));
    else setError((e as { data?: { error?: string } })?.data?.error ?? t("composer.sendFailed"));
  };

  async function send() {
    const body = text.trim();
    if (!body) return;
    setError(null);
    setText("");
    typing.stop();
    onDone();
    try {
      if (editing) {
        if (body !== String(editing.getContent().body ?? "")) await sendEdit(client, room.roomId, editing.getId()!, body);
      } else {
        const others = room.getJoinedMembers().filter((m) => m.userId !== client.getUserId());
        const mentions = findMentions(body, others);
        // Replying mentions the author of the message replied to, as the spec suggests.
        const author = replyTo?.getSender();
        if (author && author !== client.getUserId()) mentions.push(author);
        await sendText(client, room.roomId, body, { replyTo: replyTo?.getId(), threadRoot, threadLatest, mentions });
      }
    } catch (e) {
      fail(e);
    }
    input.current?.focus();
  }

  async function sendFiles(files: FileList | File[], extra: { voice?: boolean; durationMs?: number } = {}) {
    setError(null);
    for (const file of Array.from(files)) {
      setUpload({ name: file.name, pct: 0 });
      try {
        await sendFile(client, room.roomId, file, {
          ...extra,
          replyTo: replyTo?.getId(),
          threadRoot,
          threadLatest,
          onProgress: (p) => setUpload({ name: file.name, pct: p.total ? Math.round((p.loaded / p.total) * 100) : 0 }),
        });
      } catch (e) {
        fail(e);
        break;
      }
    }
    setUpload(null);
    onDone();
  }

  function wrap(marker: string) {
    const el = input.current;
    if (!el) return;
    const { selectionStart: s, selectionEnd: e } = el;
    const selected = text.slice(s, e) || t("composer.sample");
    const next = text.slice(0, s) + marker + selected + marker + text.slice(e);
    setText(next);
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(s + marker.length, s + marker.length + selected.length);
    });
  }

  function insert(emoji: string) {
    const el = input.current;
    const s = el?.selectionStart ?? text.length;
    const e = el?.selectionEnd ?? text.length;
    setText(text.slice(0, s) + emoji + text.slice(e));
    setPicker(false);
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(s + emoji.length, s + emoji.length);
    });
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    // Never send half-composed IME input (Chinese, Japanese...).
    if (e.nativeEvent.isComposing || e.keyCode === 229) return;
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      void send();
    } else if (e.key === "Escape" && (replyTo || editing)) {
      e.preventDefault();
      e.stopPropagation();
      if (editing) setText("");
      onDone();
    } else if (e.key === "ArrowUp" && !text && onEditLast) {
      const last = lastEditable(room, client.getSafeUserId(), threadRoot);
      if (last) {
        e.preventDefault();
        onEditLast(last);
      }
    } else if ((e.ctrlKey || e.metaKey) && (e.key === "b" || e.key === "i")) {
      e.preventDefault();
      wrap(e.key === "b" ? "**" : "_");
    }
  }

  function onPaste(e: ClipboardEvent) {
    if (e.clipboardData.files.length > 0) {
      e.preventDefault();
      void sendFiles(e.clipboardData.files);
    }
  }

  async function toggleRecording() {
    setError(null);
    if (!recorder.recording) {
      try {
        await recorder.start();
      } catch {
        setError(t("voice.denied"));
      }
      return;
    }
    const clip = await recorder.stop();
    if (clip) await sendFiles([clip.file], { voice: true, durationMs: clip.durationMs });
  }

  const banner = editing ?? replyTo;
  const bannerName = banner ? (room.getMember(banner.getSender() ?? "")?.name ?? banner.getSender()) : "";

  return (
    <div className="composer">
      {banner && (
        <div className="composer-banner">
          <div className="ellipsis">
            <strong>{editing ? t("composer.editing") : t("composer.replyingTo", { name: bannerName ?? "" })}</strong>
            <span className="muted"> {previewText(banner, t)}</span>
          </div>
          <button
            className="icon-btn"
            onClick={() => {
              if (editing) setText("");
              onDone();
            }}
            aria-label={t("common.cancel")}
          >
            <IconClose size={16} />
          </button>
        </div>
      )}
      {upload && (
        <div className="composer-banner" role="status">
          {t("composer.uploading", { name: upload.name, pct: upload.pct })}
        </div>
      )}
      {error && (
        <div className="composer-banner error" role="alert">
          {error}
          <button className="icon-btn" onClick={() => setError(null)} aria-label={t("common.close")}>
            <IconClose size={16} />
          </button>
        </div>
      )}
      {recorder.recording ? (
        <div className="composer-row recording" role="status">
          <span className="rec-dot" aria-hidden="true" />
          <span>{t("voice.recording", { time: formatDuration(recorder.elapsed) })}</span>
          <span className="spacer" />
          <button className="btn small" onClick={recorder.cancel}>
            {t("common.cancel")}
          </button>
          <button className="btn small primary" onClick={toggleRecording} aria-label={t("voice.stopSend")}>
            <IconStop size={16} /> {t("voice.send")}
          </button>
        </div>
      ) : (
        <div className="composer-row">
          <div className="composer-tools">
            <button className="icon-btn fmt" onClick={() => wrap("**")} aria-label={t("composer.bold")} title={t("composer.bold")}>
              <b>B</b>
            </button>
            <button className="icon-btn fmt" onClick={() => wrap("_")} aria-label={t("composer.italic")} title={t("composer.italic")}>
              <i>I</i>
            </button>
            <button className="icon-btn fmt" onClick={() => wrap("`")} aria-label={t("composer.code")} title={t("composer.code")}>
              <code>{"</>"}</code>
            </button>
          </div>
          <div className="composer-input">
            <textarea
              ref={input}
              rows={1}
              value={text}
              placeholder={threadRoot ? t("composer.threadPlaceholder") : t("composer.placeholder", { room: room.name })}
              aria-label={t("composer.label")}
              onChange={(e) => {
                setText(e.target.value);
                typing.onInput(e.target.value);
              }}
              onKeyDown={onKeyDown}
              onPaste={onPaste}
              onBlur={typing.stop}
            />
            <div className="composer-popover">
              {picker && (
                <Suspense fallback={null}>
                  <EmojiPicker onPick={insert} onClose={() => setPicker(false)} />
                </Suspense>
              )}
            </div>
          </div>
          <button className="icon-btn" onClick={() => setPicker((p) => !p)} aria-label={t("emoji.insert")} title={t("emoji.insert")} aria-expanded={picker}>
            <IconSmile />
          </button>
          <button className="icon-btn" onClick={() => fileInput.current?.click()} aria-label={t("composer.attach")} title={t("composer.attach")} disabled={!!upload}>
            <IconAttach />
          </button>
          <input
            ref={fileInput}
            type="file"
            multiple
            hidden
            data-testid="file-input"
            onChange={(e) => {
              if (e.target.files?.length) void sendFiles(e.target.files);
              e.target.value = "";
            }}
          />
          {!threadRoot && (
            <button className="icon-btn" onClick={() => setPoll(true)} aria-label={t("poll.create")} title={t("poll.create")}>
              <IconPoll />
            </button>
          )}
          {text.trim() ? (
            <button className="send-btn" onClick={() => void send()} aria-label={editing ? t("composer.saveEdit") : t("composer.send")} title={editing ? t("composer.saveEdit") : t("composer.send")}>
              <IconSend />
            </button>
          ) : (
            recorder.supported && (
              <button className="send-btn mic" onClick={toggleRecording} aria-label={t("voice.record")} title={t("voice.record")} disabled={!!upload}>
                <IconMic />
              </button>
            )
          )}
        </div>
      )}
      {poll && (
        <Suspense fallback={null}>
          <PollComposer room={room} onClose={() => setPoll(false)} />
        </Suspense>
      )}
    </div>
  );
}
