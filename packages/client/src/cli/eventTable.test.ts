import { describe, expect, it } from "vitest";
import { payloadFields } from "./eventTable.js";

describe("payloadFields", () => {
  it("lists the payload's fields in order, marking the optional ones", () => {
    const schema = {
      type: "object",
      properties: { subject: { type: "string" }, approved: { type: "boolean" }, note: { type: "string" } },
      required: ["subject", "approved"],
    };
    expect(payloadFields(schema)).toBe("subject, approved, note?");
  });

  it("is empty for a payload that is not an object", () => {
    expect(payloadFields({ type: "string" })).toBe("");
  });
});
