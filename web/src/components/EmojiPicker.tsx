// Emoji picker popover: category tabs and a grid; arrow keys move, Enter picks, Escape closes.
import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { EMOJI_GROUPS } from "../emoji";
import { useT } from "../i18n";

interface Props {
  onPick: (emoji: string) => void;
  onClose: () => void;
}

const COLS = 8;

export default function EmojiPicker({ onPick, onClose }: Props) {
  const t = useT();
  const [group, setGroup] = useState(0);
  const grid = useRef<HTMLDivElement>(null);
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => {
    grid.current?.querySelector<HTMLButtonElement>("button")?.focus();
  }, [group]);

  useEffect(() => {
    const onDown = (e: MouseEvent) => {
      if (root.current && !root.current.contains(e.target as Node)) onClose();
    };
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, [onClose]);

  function onKey(e: KeyboardEvent) {
    if (e.key === "Escape") {
      e.stopPropagation();
      onClose();
      return;
    }
    const buttons = Array.from(grid.current?.querySelectorAll<HTMLButtonElement>("button") ?? []);
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (i < 0) return;
    const move = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLS, ArrowUp: -COLS }[e.key];
    if (move) {
      e.preventDefault();
      buttons[Math.max(0, Math.min(buttons.length - 1, i + move))]?.focus();
    }
  }

  const current = EMOJI_GROUPS[group];
  return (
    <div className="emoji-picker" role="dialog" aria-label={t("emoji.title")} ref={root} onKeyDown={onKey}>
      <div className="emoji-tabs" role="tablist">
        {EMOJI_GROUPS.map((gr, i) => (
          <button key={gr.id} role="tab" aria-selected={i === group} className={i === group ? "active" : ""} onClick={() => setGroup(i)} aria-label={t(`emoji.${gr.id}`)} title={t(`emoji.${gr.id}`)}>
            {gr.icon}
          </button>
        ))}
      </div>
      <div className="emoji-grid" ref={grid} role="grid" aria-label={t(`emoji.${current.id}`)}>
        {current.emoji.map((e) => (
          <button key={e} onClick={() => onPick(e)} aria-label={e}>
            {e}
          </button>
        ))}
      </div>
    </div>
  );
}
