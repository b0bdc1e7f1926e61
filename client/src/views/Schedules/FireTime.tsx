import { formatRelative } from "../../components/Timestamp";

/** One formatter per timezone: building them is the costly part. */
const formats = new Map<string, Intl.DateTimeFormat>();

function formatOf(timezone: string): Intl.DateTimeFormat {
  let format = formats.get(timezone);
  if (!format) {
    const options: Intl.DateTimeFormatOptions = {
      weekday: "short",
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      timeZoneName: "short",
    };
    try {
      format = new Intl.DateTimeFormat(undefined, { ...options, timeZone: timezone });
    } catch {
      // A timezone this browser does not know (or one still being typed): the reader's own.
      format = new Intl.DateTimeFormat(undefined, options);
    }
    formats.set(timezone, format);
  }
  return format;
}

/**
 * A fire time as the schedule's own timezone reads it ("Wed, Nov 25, 2026, 09:30 GMT+1"), since
 * that is how its expression is written; the exact instant on hover.
 */
export function FireTime({
  date,
  timezone,
  isRelative = false,
}: {
  date: Date | null;
  timezone: string;
  isRelative?: boolean;
}) {
  if (!date) return <span className="muted">—</span>;
  const iso = date.toISOString();
  return (
    <time dateTime={iso} title={iso}>
      {formatOf(timezone).format(date)}
      {isRelative && <span className="muted"> ({formatRelative(date)})</span>}
    </time>
  );
}
