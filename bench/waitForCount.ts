import { eventsChannel } from "@conveyor/shared";
import pg from "pg";

/** Never count more often than this, nor wait longer between counts than the longest pause. */
const shortestPauseMs = 10;
const longestPauseMs = 250;

/**
 * Resolves once `countQuery` (one row, column `n`) reaches `count`. Counting costs the database
 * what the system under test needs, so counts are spread by how far off the goal is: after each
 * one it waits half the time the progress so far says is left (within 10–250 ms), then counts
 * again at the next announced event. The end is seen within a few milliseconds either way.
 */
export async function waitForCount(url: string, countQuery: string, count: number): Promise<void> {
  const listener = new pg.Client({ connectionString: url });
  await listener.connect();
  const startedAt = performance.now();
  let isCounting = false;
  let isPaused = false;
  let wantsCount = false;
  let done = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const recount = async (): Promise<void> => {
    if (isCounting || isPaused) {
      wantsCount = true;
      return;
    }
    isCounting = true;
    wantsCount = false;
    const { rows } = await listener.query<{ n: number }>(countQuery);
    isCounting = false;
    const reached = rows[0]?.n ?? 0;
    if (reached >= count) {
      done();
      return;
    }
    const elapsedMs = performance.now() - startedAt;
    const leftMs = reached > 0 ? (elapsedMs / reached) * (count - reached) : longestPauseMs;
    isPaused = true;
    setTimeout(
      () => {
        isPaused = false;
        if (wantsCount) void recount();
      },
      Math.min(Math.max(leftMs / 2, shortestPauseMs), longestPauseMs),
    );
  };
  // In case an announcement is missed, count at least this often.
  const ticker = setInterval(() => void recount(), 1_000);
  listener.on("notification", () => void recount());
  await listener.query(`listen ${eventsChannel}`);
  await recount();
  await finished;
  clearInterval(ticker);
  await listener.end();
}
