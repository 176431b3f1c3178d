// Do-not-disturb through push rules (which the server honours for counts and pushes) and
// browser notifications with a short beep for new messages.
import { CHANGED, Signal } from "./signal";
import { PushRuleKind, type MatrixClient, type MatrixEvent, type Room, type IPushRules } from "matrix-js-sdk";

const MASTER = ".m.rule.master";

export function isRoomMuted(rules: IPushRules | undefined, roomId: string): boolean {
  const rule = rules?.global?.room?.find((r) => r.rule_id === roomId);
  if (!rule || rule.enabled === false) return false;
  // actions [] is the current spec way to mute; "dont_notify" is the legacy spelling.
  return rule.actions.length === 0 || rule.actions.every((a) => a === "dont_notify");
}

export function isGlobalDnd(rules: IPushRules | undefined): boolean {
  return !!rules?.global?.override?.find((r) => r.rule_id === MASTER)?.enabled;
}

/** Re-reads the rules right away instead of waiting for the m.push_rules account data. */
async function refresh(client: MatrixClient): Promise<void> {
  client.pushRules = await client.getPushRules();
  pushRulesEmitter.emit();
}

export async function setRoomMuted(client: MatrixClient, roomId: string, muted: boolean): Promise<void> {
  if (muted) {
    await client.addPushRule("global", PushRuleKind.RoomSpecific, roomId, { actions: [] });
  } else if (client.pushRules?.global?.room?.some((r) => r.rule_id === roomId)) {
    await client.deletePushRule("global", PushRuleKind.RoomSpecific, roomId);
  }
  await refresh(client);
}

export async function setGlobalDnd(client: MatrixClient, on: boolean): Promise<void> {
  await client.setPushRuleEnabled("global", PushRuleKind.Override, MASTER, on);
  await refresh(client);
}

export const PUSH_RULES_CHANGED = CHANGED;
/** Tells subscribers (room list, settings) that the rules were re-read. */
export const pushRulesEmitter = new Signal();

// ---- browser notifications ----

const SOUND_KEY = "hearth.sound";

export function soundEnabled(): boolean {
  return localStorage.getItem(SOUND_KEY) !== "off";
}

export function setSoundEnabled(on: boolean): void {
  localStorage.setItem(SOUND_KEY, on ? "on" : "off");
}

let audio: AudioContext | null = null;

/** A short two-tone chime made with WebAudio (no audio file to download). */
export function beep(): void {
  try {
    audio ??= new AudioContext();
    const now = audio.currentTime;
    [880, 1320].forEach((freq, i) => {
      const osc = audio!.createOscillator();
      const gain = audio!.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      const start = now + i * 0.12;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.15, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.18);
      osc.connect(gain).connect(audio!.destination);
      osc.start(start);
      osc.stop(start + 0.2);
    });
  } catch {
    /* audio may be unavailable (autoplay policy, no device) */
  }
}

export function notificationsSupported(): boolean {
  return typeof Notification !== "undefined";
}

export interface NotifyText {
  title: string;
  body: string;
}

/**
 * Notifies about a live event from someone else when the push rules say so and the user
 * is not already looking at that room.
 */
export function shouldNotify(client: MatrixClient, event: MatrixEvent, room: Room | undefined, activeRoomId: string | null): boolean {
  if (!room || event.getSender() === client.getUserId()) return false;
  if (event.isRedacted() || event.getRelation()?.rel_type === "m.replace") return false;
  const actions = client.getPushActionsForEvent(event);
  if (!actions?.notify) return false;
  const looking = document.visibilityState === "visible" && document.hasFocus() && activeRoomId === room.roomId;
  return !looking;
}

export function showNotification(text: NotifyText, onClick: () => void): void {
  if (soundEnabled()) beep();
  if (!notificationsSupported() || Notification.permission !== "granted") return;
  try {
    const n = new Notification(text.title, { body: text.body, tag: "hearth-message" });
    n.onclick = () => {
      window.focus();
      onClick();
      n.close();
    };
  } catch {
    /* some browsers only allow notifications from a service worker */
  }
}
