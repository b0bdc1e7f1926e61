import type { Role } from "@conveyor/shared";
import { type Conveyor, type ConveyorOptions, startConveyor } from "../server/src/app.js";
import { createToken } from "../server/src/auth/tokens.js";
import { loadConfig } from "../server/src/config/env.js";
import { type ApiClient, createApiClient } from "../tests/fixtures/testConveyor.js";

export interface BenchConveyorOptions {
  /** Settings on top of DATABASE_URL and PORT=0 (a free port), as the environment would give them. */
  env: Record<string, string>;
  api: boolean;
  worker: boolean;
  /** The task implementations; the bundled tasks when left out. */
  implementations?: ConveyorOptions["implementations"];
  /** The role of the token made for the bench; operator when left out. */
  role?: Role;
  /** At most this many calls in one batched request of `client`; no limit when left out. */
  maxBatchItems?: number;
}

export interface BenchConveyor {
  conveyor: Conveyor;
  /** Where the API listens ("" without the API role). */
  url: string;
  /** A token of the role asked for, named "bench". */
  token: string;
  /** A typed client of the API with that token. */
  client: ApiClient;
}

/**
 * A Conveyor over the bench's database with a token and a client, as every Conveyor-side scenario
 * needs. Closed again if anything after its start fails; `withBenchConveyor` closes it after use.
 */
export async function startBenchConveyor(databaseUrl: string, options: BenchConveyorOptions): Promise<BenchConveyor> {
  const conveyor = await startConveyor({
    config: loadConfig({ DATABASE_URL: databaseUrl, PORT: "0", ...options.env }),
    api: options.api,
    worker: options.worker,
    staticDir: null,
    implementations: options.implementations,
  });
  try {
    const { token } = await createToken(conveyor.db, { name: "bench", role: options.role ?? "operator" });
    const url = conveyor.url ?? "";
    const client = createApiClient(url, token, { maxBatchItems: options.maxBatchItems });
    return { conveyor, url, token, client };
  } catch (error) {
    await conveyor.close();
    throw error;
  }
}

/** Runs `work` on a bench Conveyor (see `startBenchConveyor`), closing it however `work` ends. */
export async function withBenchConveyor<T>(
  databaseUrl: string,
  options: BenchConveyorOptions,
  work: (bench: BenchConveyor) => Promise<T>,
): Promise<T> {
  const bench = await startBenchConveyor(databaseUrl, options);
  try {
    return await work(bench);
  } finally {
    await bench.conveyor.close();
  }
}
