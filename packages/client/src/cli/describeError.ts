import { TRPCClientError } from "@trpc/client";
import { RunCancelledError, RunFailedError, TaskMismatchError } from "../errors.js";
import { exitCodes, InterruptedError, tokenHint, UsageError } from "./exitCodes.js";

export interface ErrorReport {
  message: string;
  exitCode: number;
}

/** Error codes that mean the caller asked for something wrong, rather than the server failing. */
const callerErrorCodes: ReadonlySet<string> = new Set([
  "BAD_REQUEST",
  "PARSE_ERROR",
  "NOT_FOUND",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "PAYLOAD_TOO_LARGE",
  "CONFLICT",
  "PRECONDITION_FAILED",
]);

function codeOf(error: { data?: unknown }): string | undefined {
  const { data } = error;
  if (data && typeof data === "object" && "code" in data && typeof data.code === "string") return data.code;
  return undefined;
}

/** The innermost cause's message: "fetch failed" alone does not say that the connection was refused. */
function rootCause(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause !== undefined) current = current.cause;
  if (current instanceof Error)
    return "code" in current ? `${String(current.code)}: ${current.message}` : current.message;
  return String(current);
}

/** One line and an exit code for anything a command can throw. */
export function describeError(error: unknown, url: string): ErrorReport {
  if (error instanceof UsageError) return { message: error.message, exitCode: exitCodes.usage };
  if (error instanceof RunFailedError || error instanceof RunCancelledError) {
    return { message: error.message, exitCode: exitCodes.runUnsuccessful };
  }
  if (error instanceof TaskMismatchError) return { message: error.message, exitCode: exitCodes.usage };
  if (error instanceof InterruptedError) return { message: error.message, exitCode: exitCodes.interrupted };
  if (error instanceof TRPCClientError) {
    const code = codeOf(error);
    if (code === "UNAUTHORIZED") return { message: `${error.message}; ${tokenHint}`, exitCode: exitCodes.usage };
    if (code && callerErrorCodes.has(code)) return { message: error.message, exitCode: exitCodes.usage };
    if (code) return { message: `${code}: ${error.message}`, exitCode: exitCodes.unavailable };
    return { message: `cannot reach Conveyor at ${url}: ${rootCause(error)}`, exitCode: exitCodes.unavailable };
  }
  return { message: error instanceof Error ? error.message : String(error), exitCode: exitCodes.unavailable };
}
