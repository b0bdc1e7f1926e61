/** One cache namespace's counts since the process started (`cache.stats`). */
export interface NamespaceStats {
  hits: number;
  misses: number;
  /** Redis errors while reading or writing. */
  errors: number;
  /** Requests served straight from Postgres because Redis was unavailable. */
  bypasses: number;
  /** Values not stored because they were over the size limit. */
  oversize: number;
  loads: number;
  loadMs: number;
}
