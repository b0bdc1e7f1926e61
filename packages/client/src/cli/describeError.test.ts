import { TRPCClientError } from "@trpc/client";
import { describe, expect, it } from "vitest";
import { RunFailedError } from "../errors.js";
import { describeError } from "./describeError.js";
import { exitCodes, UsageError } from "./exitCodes.js";

const url = "http://127.0.0.1:3000";

function serverError(code: string, message: string) {
  return TRPCClientError.from({ error: { message, code: -32_600, data: { code, httpStatus: 400 } } });
}

describe("describeError", () => {
  it("a refused request is a usage error that keeps the server's message naming the field", () => {
    const report = describeError(serverError("BAD_REQUEST", "input.userId: Invalid input"), url);
    expect(report).toEqual({ message: "input.userId: Invalid input", exitCode: exitCodes.usage });
  });

  it("a refused token says how to get one", () => {
    const report = describeError(serverError("UNAUTHORIZED", "a valid token is required"), url);
    expect(report.exitCode).toBe(exitCodes.usage);
    expect(report.message).toContain("npm run token -- --role operator");
  });

  it("an unreachable server names the URL and the underlying cause", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:3000"), { code: "ECONNREFUSED" });
    const error = TRPCClientError.from(new TypeError("fetch failed", { cause: refused }));
    const report = describeError(error, url);
    expect(report.exitCode).toBe(exitCodes.unavailable);
    expect(report.message).toBe(`cannot reach Conveyor at ${url}: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:3000`);
  });

  it("a failed run exits 1 and a usage error 2", () => {
    const run = {
      id: "r",
      task: "t",
      attempts: 1,
      error: { name: "Error", message: "boom", stack: null, attempt: 1, isRetryable: true },
    } as ConstructorParameters<typeof RunFailedError>[0];
    expect(describeError(new RunFailedError(run), url).exitCode).toBe(exitCodes.runUnsuccessful);
    expect(describeError(new UsageError("bad"), url)).toEqual({ message: "bad", exitCode: exitCodes.usage });
  });
});
