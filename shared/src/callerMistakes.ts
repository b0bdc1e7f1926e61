/**
 * The tRPC error codes of a caller's mistake: asking again cannot help. Anything else (a server
 * error, a lost connection) may pass, so clients retry it.
 */
const callerMistakeCodes: ReadonlySet<string> = new Set([
  "BAD_REQUEST",
  "PARSE_ERROR",
  "NOT_FOUND",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "METHOD_NOT_SUPPORTED",
  "PRECONDITION_FAILED",
  "PAYLOAD_TOO_LARGE",
  "UNPROCESSABLE_CONTENT",
  "UNSUPPORTED_MEDIA_TYPE",
]);

/** Whether an API error with this tRPC code was the caller's mistake (see `callerMistakeCodes`). */
export function isCallerMistakeCode(code: string | undefined): boolean {
  return code !== undefined && callerMistakeCodes.has(code);
}
