import type { z } from "zod";

/** One problem with a caller's input, located by its path. */
export interface InputIssue {
  path: (string | number)[];
  message: string;
}

/** The caller sent something invalid; the API layer turns it into BAD_REQUEST with these issues. */
export class InputError extends Error {
  override name = "InputError";
  constructor(readonly issues: InputIssue[]) {
    super(issues.map(formatIssue).join("; "));
  }
}

export function formatIssue(issue: InputIssue): string {
  return issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message;
}

/** A subscriber's resume point is ahead of the database's history (see `isAheadOfHistory`). */
export class HistoryRewoundError extends Error {
  override name = "HistoryRewoundError";
  constructor(readonly eventId: number) {
    super(
      `history rewound: event ${eventId} is no longer in the database (a failover lost its newest commits); ` +
        "subscribe again without lastEventId and reload what you showed since that event",
    );
  }
}

/** A run, flow or other record the caller named does not exist. */
export class NotFoundError extends Error {
  override name = "NotFoundError";
}

/** Zod's issues as input issues, their paths under `prefix` (e.g. `["input"]`). */
export function issuesFromZod(error: z.ZodError, prefix: (string | number)[] = []): InputIssue[] {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path.map((key) => (typeof key === "symbol" ? String(key) : key))],
    message: issue.message,
  }));
}

/** One line naming every problem, for error messages. */
export function describeZodError(error: z.ZodError): string {
  return issuesFromZod(error).map(formatIssue).join("; ");
}
