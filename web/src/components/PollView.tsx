// A poll: question, answers with live tallies, voting and (for its creator) ending it.
import { useEffect, useState } from "react";
import { RoomEvent, type MatrixEvent, type Room } from "matrix-js-sdk";
import { useClient, useEmitterVersion } from "../matrix/context";
import { parsePoll, parseResponse, POLL_END_TYPES, POLL_RESPONSE_TYPES, tallyPoll, type PollResponse } from "../matrix/polls";
import { pollEndContent, pollResponseContent } from "../matrix/content";
import { countKey, useT } from "../i18n";
import { IconPoll } from "./icons";

export default function PollView({ event, room }: { event: MatrixEvent; room: Room }) {
  const client = useClient();
  const t = useT();
  useEmitterVersion(room, [RoomEvent.Timeline, RoomEvent.Redaction], true);
  const pollId = event.getId() ?? "";
  const [fetched, setFetched] = useState<MatrixEvent[]>([]);

  // Responses older than the loaded timeline come from /relations, once.
  useEffect(() => {
    if (!pollId || pollId.startsWith("~")) return;
    let live = true;
    client
      .relations(room.roomId, pollId, "m.reference")
      .then((res) => live && setFetched(res.events))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [client, room, pollId]);

  const poll = parsePoll(event.getType(), event.getContent());
  if (!poll) return <div className="msg-text">{String(event.getContent().body ?? "")}</div>;

  const related = new Map<string, MatrixEvent>();
  for (const type of [...POLL_RESPONSE_TYPES, ...POLL_END_TYPES]) {
    room.relations.getChildEventsForEvent(pollId, "m.reference", type)?.getRelations().forEach((e) => related.set(e.getId()!, e));
  }
  fetched.forEach((e) => related.set(e.getId()!, e));
  const events = [...related.values()].filter((e) => !e.isRedacted());
  const end = events.find((e) => POLL_END_TYPES.includes(e.getType()) && e.getSender() === event.getSender());
  const responses: PollResponse[] = events
    .filter((e) => POLL_RESPONSE_TYPES.includes(e.getType()))
    .map((e) => ({ sender: e.getSender()!, ts: e.getTs(), selections: parseResponse(e.getContent()) }));
  const tally = tallyPoll(poll, responses, end?.getTs());
  const mine = tally.votes.get(client.getSafeUserId()) ?? [];
  const ended = !!end;
  const showResults = ended || poll.disclosed || mine.length > 0;

  async function vote(answerId: string) {
    if (ended) return;
    const { type, content } = pollResponseContent(pollId, [answerId], poll!.unstable);
    await client.sendEvent(room.roomId, type as never, content as never);
  }
  async function endPoll() {
    const { type, content } = pollEndContent(pollId, poll!.unstable);
    await client.sendEvent(room.roomId, type as never, content as never);
  }

  return (
    <div className="poll" role="group" aria-label={t("poll.label", { question: poll.question })}>
      <div className="poll-q">
        <IconPoll size={18} /> <strong>{poll.question}</strong>
      </div>
      <ul className="poll-answers">
        {poll.answers.map((a) => {
          const count = tally.counts[a.id] ?? 0;
          const pct = tally.total ? Math.round((count / tally.total) * 100) : 0;
          const chosen = mine.includes(a.id);
          return (
            <li key={a.id}>
              <button className={`poll-answer${chosen ? " chosen" : ""}`} onClick={() => vote(a.id)} disabled={ended} aria-pressed={chosen}>
                <span className="poll-bar" style={{ width: showResults ? `${pct}%` : 0 }} aria-hidden="true" />
                <span className="poll-text">{a.text}</span>
                {showResults && <span className="poll-count">{t(countKey(count, "poll.voteOne", "poll.votes"), { count })}</span>}
              </button>
            </li>
          );
        })}
      </ul>
      <div className="poll-foot muted small">
        {ended ? t("poll.ended", { count: tally.total }) : t(countKey(tally.total, "poll.totalOne", "poll.total"), { count: tally.total })}
        {!ended && event.getSender() === client.getUserId() && (
          <button className="link" onClick={endPoll}>
            {t("poll.end")}
          </button>
        )}
      </div>
    </div>
  );
}
