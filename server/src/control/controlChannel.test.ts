import { describe, expect, it } from "vitest";
import { parseControl } from "./controlChannel.js";

describe("parseControl", () => {
  it("reads the messages workers act on, and ignores what it does not know rather than throwing", () => {
    const runId = "01900000-0000-7000-8000-000000000001";
    expect(parseControl(JSON.stringify({ cancel: [runId] }))).toEqual({ cancel: [runId] });
    expect(parseControl(JSON.stringify({ pausesChanged: true }))).toEqual({ pausesChanged: true });
    expect(parseControl("{ not json")).toBeNull();
    expect(parseControl(JSON.stringify({ cancel: ["not-a-uuid"] }))).toBeNull();
    expect(parseControl(undefined)).toBeNull();
  });
});
