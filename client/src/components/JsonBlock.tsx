/** A value as indented JSON; `undefined` (never set) reads as a dash rather than nothing. */
export function JsonBlock({ value, testId }: { value: unknown; testId?: string }) {
  if (value === undefined) return <p className="muted">—</p>;
  return (
    <pre className="json" data-testid={testId}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}
