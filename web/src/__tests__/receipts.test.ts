// readReceipts against a real matrix-js-sdk Room: own-message status from m.read and
// org.hearth.delivered receipts, and where readers' avatars go.
import { createClient, MatrixEvent, Room } from "matrix-js-sdk";
import { readReceipts } from "../matrix/receipts";
import { isMainTimeline } from "../matrix/events";

const ME = "@me:x";
const BOB = "@bob:x";
let ts = 1_000;

function member(userId: string) {
  return new MatrixEvent({ type: "m.room.member", state_key: userId, sender: userId, content: { membership: "join", displayname: userId.slice(1, -2) }, event_id: `$m-${userId}`, room_id: "!r:x", origin_server_ts: ts++ });
}
function msg(id: string, sender: string) {
  return new MatrixEvent({ type: "m.room.message", sender, content: { msgtype: "m.text", body: id }, event_id: id, room_id: "!r:x", origin_server_ts: ts++ });
}
function receipt(eventId: string, type: string, userId: string) {
  return new MatrixEvent({ type: "m.receipt", room_id: "!r:x", content: { [eventId]: { [type]: { [userId]: { ts: ts++ } } } } });
}

async function setup() {
  const client = createClient({ baseUrl: "http://localhost", userId: ME, accessToken: "t", deviceId: "D" });
  const room = new Room("!r:x", client, ME);
  await room.addLiveEvents([member(ME), member(BOB), msg("$1", ME), msg("$2", ME), msg("$3", BOB), msg("$4", ME)], { addToState: true });
  return room;
}

function view(room: Room) {
  const all = room.getLiveTimeline().getEvents();
  const visible = all.filter(isMainTimeline);
  const r = readReceipts(room, ME, all, visible);
  const status = (id: string) => r.statusOf(room.findEventById(id)!, all.findIndex((e) => e.getId() === id));
  return { r, status };
}

describe("readReceipts", () => {
  it("derives sent / delivered / read per message", async () => {
    const room = await setup();
    // Bob's own message counts as read up to there (the SDK's implicit receipt).
    let { status } = view(room);
    expect(status("$1")).toBe("read");
    expect(status("$4")).toBe("sent");

    room.addReceipt(receipt("$4", "org.hearth.delivered", BOB));
    ({ status } = view(room));
    expect(status("$4")).toBe("delivered");

    room.addReceipt(receipt("$4", "m.read", BOB));
    ({ status } = view(room));
    expect(status("$4")).toBe("read");
  });

  it("places a reader at their receipt, skipping their own messages", async () => {
    const room = await setup();
    room.addReceipt(receipt("$4", "m.read", BOB));
    expect(view(room).r.readersAt.get("$4")).toEqual([BOB]);

    const room2 = await setup();
    // Bob's implicit receipt is on his own $3: shown at the message before it.
    expect(view(room2).r.readersAt.get("$2")).toEqual([BOB]);
    expect(view(room2).r.readersAt.has("$3")).toBe(false);
  });
});
