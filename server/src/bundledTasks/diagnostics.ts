import { setTimeout as delay } from "node:timers/promises";
import { noop, sleep } from "@conveyor/shared";
import { implementTask } from "../worker/taskImplementation.js";

export const noopImplementation = implementTask(noop, async (input) => input);

/** Sleeps in slices so progress moves and an abort is noticed within one slice. */
export const sleepImplementation = implementTask(sleep, async ({ ms }, { signal, progress }) => {
  const slices = Math.max(1, Math.min(20, Math.ceil(ms / 50)));
  for (let slice = 1; slice <= slices; slice += 1) {
    await delay(ms / slices, undefined, { signal });
    progress({ current: slice, total: slices });
  }
  return { ms };
});
