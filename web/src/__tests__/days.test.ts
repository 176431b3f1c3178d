import { dayLabel, withDaySeparators } from "../matrix/days";

const at = (y: number, m: number, d: number, h = 12, min = 0) => new Date(y, m - 1, d, h, min).getTime();
const ev = (id: string, ts: number, sender = "@a:x", groupable = true) => ({ id, ts, sender, groupable });

describe("withDaySeparators", () => {
  it("puts a separator before the first event of each day", () => {
    const items = withDaySeparators([ev("1", at(2026, 1, 1, 9)), ev("2", at(2026, 1, 1, 22)), ev("3", at(2026, 1, 2, 8))]);
    expect(items.map((i) => i.kind)).toEqual(["day", "event", "event", "day", "event"]);
  });
  it("groups consecutive messages of one sender within five minutes", () => {
    const items = withDaySeparators([
      ev("1", at(2026, 1, 1, 9, 0)),
      ev("2", at(2026, 1, 1, 9, 3)),
      ev("3", at(2026, 1, 1, 9, 30)),
      ev("4", at(2026, 1, 1, 9, 31), "@b:x"),
      ev("5", at(2026, 1, 1, 9, 32), "@b:x", false),
    ]);
    const conts = items.filter((i) => i.kind === "event").map((i) => (i.kind === "event" ? i.continuation : null));
    expect(conts).toEqual([false, true, false, false, false]);
  });
  it("never continues a group across a day boundary", () => {
    const items = withDaySeparators([ev("1", at(2026, 1, 1, 23, 58)), ev("2", at(2026, 1, 2, 0, 1))]);
    expect(items[3]).toMatchObject({ kind: "event", continuation: false });
  });
  it("returns nothing for no events", () => {
    expect(withDaySeparators([])).toEqual([]);
  });
});

describe("dayLabel", () => {
  const words = { today: "Today", yesterday: "Yesterday" };
  const now = at(2026, 3, 10, 15);
  it("says today and yesterday", () => {
    expect(dayLabel(at(2026, 3, 10, 1), now, "en", words)).toBe("Today");
    expect(dayLabel(at(2026, 3, 9, 23), now, "en", words)).toBe("Yesterday");
  });
  it("uses the weekday within a week and a date beyond", () => {
    expect(dayLabel(at(2026, 3, 6), now, "en", words)).toBe("Friday");
    expect(dayLabel(at(2026, 1, 5), now, "en", words)).toMatch(/January 5/);
    expect(dayLabel(at(2025, 1, 5), now, "en", words)).toMatch(/2025/);
  });
  it("formats in Chinese", () => {
    expect(dayLabel(at(2026, 1, 5), now, "zh-CN", words)).toMatch(/1月5日/);
  });
});
