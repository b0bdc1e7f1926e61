/**
 * A Postgres uuid[] literal. Hot-path statements filter with `id = any(<this>::uuid[])` so the
 * planner, which cannot see inside a jsonb_to_recordset, still picks the primary key index
 * instead of scanning the whole table.
 */
export function uuidArray(ids: readonly string[]): string {
  return `{${ids.join(",")}}`;
}
