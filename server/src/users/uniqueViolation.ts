/**
 * The constraint a Postgres unique_violation (SQLSTATE 23505) broke, wherever drizzle wrapped the
 * driver's error; null for any other error.
 */
export function violatedUniqueConstraint(error: unknown): string | null {
  for (let current = error; current instanceof Error; current = current.cause) {
    const { code, constraint } = current as { code?: unknown; constraint?: unknown };
    if (code === "23505") return typeof constraint === "string" ? constraint : "";
  }
  return null;
}
