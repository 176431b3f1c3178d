import { parsePoll, parseResponse, tallyPoll } from "../matrix/polls";
import { pollResponseContent, pollStartContent } from "../matrix/content";

describe("polls", () => {
  const { type, content } = pollStartContent("Lunch?", ["Noodles", "Dumplings"]);
  const poll = parsePoll(type, content)!;

  it("round-trips the unstable form we send", () => {
    expect(poll).toMatchObject({ question: "Lunch?", maxSelections: 1, disclosed: true, unstable: true });
    expect(poll.answers).toEqual([
      { id: "a1", text: "Noodles" },
      { id: "a2", text: "Dumplings" },
    ]);
  });

  it("parses the stable form", () => {
    const stable = parsePoll("m.poll.start", {
      "m.poll": {
        kind: "m.poll.undisclosed",
        max_selections: 2,
        question: { "m.text": [{ body: "Q" }] },
        answers: [{ "m.id": "x", "m.text": [{ body: "X" }] }],
      },
    })!;
    expect(stable).toMatchObject({ question: "Q", maxSelections: 2, disclosed: false, unstable: false });
    expect(stable.answers).toEqual([{ id: "x", text: "X" }]);
  });

  it("reads both response forms", () => {
    expect(parseResponse(pollResponseContent("$p", ["a1"], true).content)).toEqual(["a1"]);
    expect(parseResponse(pollResponseContent("$p", ["a2"], false).content)).toEqual(["a2"]);
  });

  it("counts each voter's latest valid response", () => {
    const tally = tallyPoll(poll, [
      { sender: "@a:x", ts: 1, selections: ["a1"] },
      { sender: "@a:x", ts: 5, selections: ["a2"] },
      { sender: "@b:x", ts: 2, selections: ["a2"] },
      { sender: "@c:x", ts: 3, selections: ["nope"] },
    ]);
    expect(tally.counts).toEqual({ a1: 0, a2: 2 });
    expect(tally.total).toBe(2);
  });

  it("ignores votes after the poll ended", () => {
    const tally = tallyPoll(poll, [
      { sender: "@a:x", ts: 1, selections: ["a1"] },
      { sender: "@a:x", ts: 10, selections: ["a2"] },
    ], 5);
    expect(tally.counts).toEqual({ a1: 1, a2: 0 });
  });
});
