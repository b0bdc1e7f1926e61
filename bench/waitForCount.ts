import { eventsChannel } from "@conveyor/shared";
import pg from "pg";

/**
 * Resolves once `countQuery` (one row, column `n`) reaches `count`, re-counting when events are
 * announced (at most every 20 ms, and every 100 ms regardless, in case a notification is missed).
 */
export async function waitForCount(url: string, countQuery: string, count: number): Promise<void> {
  const listener = new pg.Client({ connectionString: url });
  await listener.connect();
  let isCounting = false;
  let done = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const recount = async () => {
    if (isCounting) return;
    isCounting = true;
    const { rows } = await listener.query<{ n: number }>(countQuery);
    if ((rows[0]?.n ?? 0) >= count) done();
    setTimeout(() => {
      isCounting = false;
    }, 20);
  };
  const ticker = setInterval(() => void recount(), 100);
  listener.on("notification", () => void recount());
  await listener.query(`listen ${eventsChannel}`);
  await finished;
  clearInterval(ticker);
  await listener.end();
}
