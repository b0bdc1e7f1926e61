import { Cron } from "croner";
import cronstrue from "cronstrue";
import { InputError, type InputIssue } from "../errors.js";

/** A valid cron expression in a valid timezone, ready to compute fire times. */
export interface CompiledCron {
  readonly expression: string;
  /** The IANA name as Intl spells it (`europe/berlin` becomes `Europe/Berlin`). */
  readonly timezone: string;
  /** The first fire time strictly after `instant`, or null if there is none. */
  nextAfter(instant: Date): Date | null;
  /** Up to `count` fire times strictly after `instant`, in order. */
  nextTimes(instant: Date, count: number): Date[];
  /** The expression in words, with its timezone: "At 02:30 (Europe/Berlin)". */
  describe(): string;
}

/**
 * Parses a 5-field expression (or a nickname like `@daily`) read in an IANA timezone, or throws
 * an `InputError` naming `cron` and/or `timezone` in croner's and Intl's words.
 */
export function compileCron(expression: string, timezone: string): CompiledCron {
  const issues: InputIssue[] = [];
  const cron = parseCron(expression, timezone, issues);
  if (!cron) throw new InputError(issues);
  return cron;
}

/** As `compileCron`, recording problems in `issues` (at `cron` and `timezone`) and returning null. */
export function parseCron(expression: string, timezone: string, issues: InputIssue[]): CompiledCron | null {
  const zone = resolveTimezone(timezone, ["timezone"], issues);
  const cron = parsePattern(expression, zone ?? "UTC", ["cron"], issues);
  if (!cron || !zone) return null;
  return {
    expression,
    timezone: zone,
    nextAfter: (instant) => cron.nextRun(instant),
    nextTimes: (instant, count) => cron.nextRuns(count, instant),
    describe: () => describeCron(expression, zone),
  };
}

/** The expression in words with its timezone; never throws, so a stored schedule can always be shown. */
export function describeCron(expression: string, timezone: string): string {
  return `${describeExpression(expression)} (${timezone})`;
}

/** The canonical name of an IANA timezone, or null with an issue recorded. */
function resolveTimezone(timezone: string, path: (string | number)[], issues: InputIssue[]): string | null {
  try {
    // Croner converts through Intl too; asking Intl directly gives the canonical spelling.
    return new Intl.DateTimeFormat("en-US", { timeZone: timezone }).resolvedOptions().timeZone;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    issues.push({ path, message: `${reason}; use an IANA name such as "Europe/Berlin" or "UTC"` });
    return null;
  }
}

const fieldNames = "minute hour day-of-month month day-of-week";

function parsePattern(
  expression: string,
  timezone: string,
  path: (string | number)[],
  issues: InputIssue[],
): Cron | null {
  const fields = expression.trim().split(/\s+/);
  if (!expression.startsWith("@") && (fields.length === 6 || fields.length === 7)) {
    // Croner would read a 6th field as seconds; ticks are per minute, so a seconds field could
    // only ever be honoured at second 0 and would mislead.
    issues.push({
      path,
      message: `has ${fields.length} fields; schedules take 5 (${fieldNames}): they fire at most once a minute, so there is no seconds field`,
    });
    return null;
  }
  let cron: Cron;
  try {
    cron = new Cron(expression, { timezone, mode: "5-part" });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    issues.push({ path, message: `${reason.replace(/^CronPattern:\s*/, "")} (expected ${fieldNames})` });
    return null;
  }
  // An expression like `0 0 30 2 *` parses but never matches a real date.
  if (cron.nextRun(new Date()) === null) {
    issues.push({ path, message: "never fires: no date matches every field" });
    return null;
  }
  return cron;
}

function describeExpression(expression: string): string {
  try {
    return cronstrue.toString(expression, { use24HourTimeFormat: true, throwExceptionOnParseError: true });
  } catch {
    // cronstrue does not know every croner extension (W, #); the expression itself still says it.
    return `Cron "${expression}"`;
  }
}
