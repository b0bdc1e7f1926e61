import { describe, expect, it } from "vitest";
import { isCallerMistakeCode } from "./callerMistakes.js";

describe("isCallerMistakeCode", () => {
  it("says a wrong or forbidden request is the caller's, and a server's or network's failure may pass", () => {
    for (const code of ["BAD_REQUEST", "NOT_FOUND", "UNAUTHORIZED", "FORBIDDEN", "PAYLOAD_TOO_LARGE"]) {
      expect(isCallerMistakeCode(code)).toBe(true);
    }
    for (const code of ["INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT", "TOO_MANY_REQUESTS", undefined]) {
      expect(isCallerMistakeCode(code)).toBe(false);
    }
  });
});
