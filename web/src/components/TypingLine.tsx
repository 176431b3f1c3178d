// "Alice is typing…" under the timeline.
import { RoomMemberEvent, type Room } from "matrix-js-sdk";
import { useClient, useEmitterVersion } from "../matrix/context";
import { useT } from "../i18n";

export default function TypingLine({ room }: { room: Room }) {
  const client = useClient();
  const t = useT();
  useEmitterVersion(client, [RoomMemberEvent.Typing]);
  const names = room
    .getMembers()
    .filter((m) => m.typing && m.userId !== client.getUserId())
    .map((m) => m.name);
  const text =
    names.length === 0 ? "" : names.length === 1 ? t("typing.one", { name: names[0] }) : names.length === 2 ? t("typing.two", { a: names[0], b: names[1] }) : t("typing.many", { count: names.length });
  return (
    <div className="typing-line" aria-live="polite" data-testid="typing">
      {text && (
        <>
          <span className="dots" aria-hidden="true">
            <i />
            <i />
            <i />
          </span>
          {text}
        </>
      )}
    </div>
  );
}
