// Dialog to create a poll: a question and 2-10 answers.
import { useState, type FormEvent } from "react";
import type { Room } from "matrix-js-sdk";
import { useClient } from "../matrix/context";
import { pollStartContent } from "../matrix/content";
import { sendRaw } from "../matrix/send";
import { useT } from "../i18n";
import { Modal } from "./Modal";

export default function PollComposer({ room, onClose }: { room: Room; onClose: () => void }) {
  const client = useClient();
  const t = useT();
  const [question, setQuestion] = useState("");
  const [answers, setAnswers] = useState(["", ""]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const filled = answers.map((a) => a.trim()).filter(Boolean);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!question.trim() || filled.length < 2) return;
    setBusy(true);
    try {
      const { type, content } = pollStartContent(question.trim(), filled);
      await sendRaw(client, room.roomId, type, content);
      onClose();
    } catch {
      setError(t("composer.sendFailed"));
      setBusy(false);
    }
  }

  return (
    <Modal title={t("poll.create")} onClose={onClose}>
      <form className="form" onSubmit={submit}>
        <label className="field">
          <span>{t("poll.question")}</span>
          <input value={question} onChange={(e) => setQuestion(e.target.value)} required autoFocus />
        </label>
        {answers.map((a, i) => (
          <div className="row gap-s" key={i}>
            <label className="field grow">
              <span>{t("poll.answer", { n: i + 1 })}</span>
              <input value={a} onChange={(e) => setAnswers(answers.map((x, j) => (j === i ? e.target.value : x)))} />
            </label>
            {answers.length > 2 && (
              <button type="button" className="btn small" onClick={() => setAnswers(answers.filter((_, j) => j !== i))} aria-label={t("poll.removeAnswer", { n: i + 1 })}>
                −
              </button>
            )}
          </div>
        ))}
        {answers.length < 10 && (
          <button type="button" className="btn small" onClick={() => setAnswers([...answers, ""])}>
            {t("poll.addAnswer")}
          </button>
        )}
        {error && <div className="error">{error}</div>}
        <div className="row end gap-s">
          <button type="button" className="btn" onClick={onClose}>
            {t("common.cancel")}
          </button>
          <button type="submit" className="btn primary" disabled={busy || !question.trim() || filled.length < 2}>
            {t("poll.post")}
          </button>
        </div>
      </form>
    </Modal>
  );
}
