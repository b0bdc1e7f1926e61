const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

/** "in 4 seconds", "2 minutes ago": how far `date` is from `now`, in its largest whole unit. */
export function formatRelative(date: Date, now: Date = new Date()): string {
  const seconds = Math.round((date.getTime() - now.getTime()) / 1000);
  const magnitude = Math.abs(seconds);
  if (magnitude < 60) return relative.format(seconds, "second");
  if (magnitude < 3_600) return relative.format(Math.round(seconds / 60), "minute");
  if (magnitude < 86_400) return relative.format(Math.round(seconds / 3_600), "hour");
  return relative.format(Math.round(seconds / 86_400), "day");
}

/** A point in time in the reader's locale, with the exact ISO time on hover. */
export function Timestamp({ date, isRelative = false }: { date: Date | null; isRelative?: boolean }) {
  if (!date) return <span className="muted">—</span>;
  const iso = date.toISOString();
  return (
    <time dateTime={iso} title={iso}>
      {dateTime.format(date)}
      {isRelative && <span className="muted"> ({formatRelative(date)})</span>}
    </time>
  );
}
