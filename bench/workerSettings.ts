/** The worker settings both sides of every comparison use. */
export const workerSettings = {
  concurrency: 24,
  localQueueSize: 500,
} as const;

/** Those settings as a Conveyor process reads them, for the benches that start a worker. */
export const conveyorWorkerEnv = {
  LOG_LEVEL: "warn",
  WORKER_CONCURRENCY: String(workerSettings.concurrency),
  WORKER_LOCAL_QUEUE_SIZE: String(workerSettings.localQueueSize),
};

export const e2eRuns = Number(process.env.BENCH_RUNS ?? 20_000);
export const enqueueBatchSize = 1_000;
export const latencySamples = Number(process.env.BENCH_LATENCY_SAMPLES ?? 300);

export const flowSizes = { chains: 1_000, chords: 50, chordMembers: 100 } as const;
