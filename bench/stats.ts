/** The q-quantile (0..1) of samples by nearest rank, in the samples' unit. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export interface LatencySummary {
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    p50_ms: round(quantile(samples, 0.5)),
    p95_ms: round(quantile(samples, 0.95)),
    p99_ms: round(quantile(samples, 0.99)),
  };
}
