// Reaction pills under a message; clicking one toggles our own reaction with that key.
import type { MatrixEvent, Room } from "matrix-js-sdk";
import { useClient } from "../matrix/context";
import { reactionContent } from "../matrix/content";
import { useT } from "../i18n";

export function myReaction(room: Room, eventId: string, key: string, userId: string): MatrixEvent | undefined {
  const rel = room.relations.getChildEventsForEvent(eventId, "m.annotation", "m.reaction");
  return [...(rel?.getAnnotationsBySender()?.[userId] ?? [])].find((e) => e.getRelation()?.key === key && !e.isRedacted());
}

export async function toggleReaction(client: ReturnType<typeof useClient>, room: Room, eventId: string, key: string): Promise<void> {
  const mine = myReaction(room, eventId, key, client.getSafeUserId());
  if (mine?.getId()) await client.redactEvent(room.roomId, mine.getId()!);
  else await client.sendEvent(room.roomId, "m.reaction" as never, reactionContent(eventId, key) as never);
}

export default function Reactions({ event, room }: { event: MatrixEvent; room: Room }) {
  const client = useClient();
  const t = useT();
  const id = event.getId();
  if (!id) return null;
  const rel = room.relations.getChildEventsForEvent(id, "m.annotation", "m.reaction");
  const groups = (rel?.getSortedAnnotationsByKey() ?? [])
    .map(([key, set]) => [key, [...set].filter((e) => !e.isRedacted())] as const)
    .filter(([, evs]) => evs.length > 0);
  if (groups.length === 0) return null;
  const me = client.getSafeUserId();
  return (
    <div className="reactions">
      {groups.map(([key, evs]) => {
        const mine = evs.some((e) => e.getSender() === me);
        const names = evs.map((e) => room.getMember(e.getSender()!)?.name ?? e.getSender()).join(", ");
        return (
          <button
            key={key}
            className={`reaction${mine ? " mine" : ""}`}
            aria-pressed={mine}
            title={t("reactions.by", { names, key })}
            aria-label={t("reactions.label", { key, count: evs.length })}
            onClick={() => void toggleReaction(client, room, id, key)}
          >
            <span>{key}</span> <span className="count">{evs.length}</span>
          </button>
        );
      })}
    </div>
  );
}
