import { deriveStatus } from "../matrix/status";

describe("deriveStatus", () => {
  const none = { read: -1, delivered: -1 };
  it("is sending while the server has not answered", () => {
    expect(deriveStatus({ local: "sending", index: 5, others: [] })).toBe("sending");
  });
  it("is failed when the send failed", () => {
    expect(deriveStatus({ local: "failed", index: 5, others: [{ read: 9, delivered: 9 }] })).toBe("failed");
  });
  it("is sent when nobody has a receipt at or after it", () => {
    expect(deriveStatus({ local: null, index: 5, others: [none, { read: 4, delivered: 4 }] })).toBe("sent");
  });
  it("is delivered when a delivery receipt reaches it", () => {
    expect(deriveStatus({ local: null, index: 5, others: [{ read: 2, delivered: 5 }] })).toBe("delivered");
    expect(deriveStatus({ local: null, index: 5, others: [{ read: -1, delivered: 8 }] })).toBe("delivered");
  });
  it("is read when any read receipt reaches it, even without a delivery receipt", () => {
    expect(deriveStatus({ local: null, index: 5, others: [none, { read: 7, delivered: -1 }] })).toBe("read");
  });
  it("ignores receipts before the event", () => {
    expect(deriveStatus({ local: null, index: 5, others: [{ read: 4, delivered: 4 }] })).toBe("sent");
  });
  it("treats an unknown position as still sending", () => {
    expect(deriveStatus({ local: null, index: -1, others: [{ read: 3, delivered: 3 }] })).toBe("sending");
  });
});
