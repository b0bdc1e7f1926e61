import { parseCronItems } from "graphile-worker";
import { describe, expect, it } from "vitest";
import { compileCron } from "./cron.js";
import { dueFireTimes, maxFiresPerTick, scheduleTickCronItem, scheduleTickTaskName } from "./tick.js";

const at = (time: string) => new Date(`2030-01-01T${time}Z`);
const iso = (dates: Date[]) => dates.map((date) => date.toISOString().slice(11, 19));
const quarterly = compileCron("*/15 * * * *", "UTC");

describe("dueFireTimes", () => {
  it("without a window, fires only the time due at the tick's minute", () => {
    const { due, next } = dueFireTimes(
      quarterly,
      { nextFireAt: at("00:15:00"), backfillWindowMs: 0 },
      at("03:00:20"),
      at("03:00:00"),
    );
    expect(iso(due)).toEqual(["03:00:00"]);
    expect(next?.toISOString()).toBe(at("03:15:00").toISOString());
  });

  it("with a window, fires every time younger than it", () => {
    const { due } = dueFireTimes(
      quarterly,
      { nextFireAt: at("00:15:00"), backfillWindowMs: 3_600_000 },
      at("03:00:20"),
      at("03:00:00"),
    );
    // 02:00:00 is exactly one hour old: not younger than the window.
    expect(iso(due)).toEqual(["02:15:00", "02:30:00", "02:45:00", "03:00:00"]);
  });

  it("a late tick still fires the time due at its own minute", () => {
    const hourly = compileCron("0 * * * *", "UTC");
    const { due } = dueFireTimes(
      hourly,
      { nextFireAt: at("03:00:00"), backfillWindowMs: 0 },
      at("03:04:00"),
      at("03:00:00"),
    );
    expect(iso(due)).toEqual(["03:00:00"]);
    const measuredFromNow = dueFireTimes(
      hourly,
      { nextFireAt: at("03:00:00"), backfillWindowMs: 0 },
      at("03:04:00"),
      at("03:04:00"),
    );
    expect(measuredFromNow.due).toEqual([]);
    expect(measuredFromNow.next?.toISOString()).toBe(at("04:00:00").toISOString());
  });

  it("nothing is due before the stored next fire time", () => {
    const { due, next } = dueFireTimes(
      quarterly,
      { nextFireAt: at("03:15:00"), backfillWindowMs: 0 },
      at("03:10:00"),
      at("03:10:00"),
    );
    expect(due).toEqual([]);
    expect(next?.toISOString()).toBe(at("03:15:00").toISOString());
  });

  it("caps one tick's fires and leaves the rest due for the next tick", () => {
    const everyMinute = compileCron("* * * * *", "UTC");
    const now = new Date("2030-01-02T00:00:10Z");
    const schedule = { nextFireAt: new Date("2030-01-01T00:00:00Z"), backfillWindowMs: 86_400_000 };
    const first = dueFireTimes(everyMinute, schedule, now, now);
    expect(first.due).toHaveLength(maxFiresPerTick);
    expect(first.due[0]?.toISOString()).toBe("2030-01-01T00:01:00.000Z");
    expect(first.next?.getTime()).toBeLessThanOrEqual(now.getTime());
    const second = dueFireTimes(everyMinute, { ...schedule, nextFireAt: first.next }, now, now);
    expect(first.due.length + second.due.length).toBe(1_440);
    expect(second.due.at(-1)?.toISOString()).toBe("2030-01-02T00:00:00.000Z");
    expect(second.next?.toISOString()).toBe("2030-01-02T00:01:00.000Z");
  });
});

describe("scheduleTickCronItem", () => {
  it("is one every-minute item for the tick task, without graphile-worker's own backfill", () => {
    const parsed = parseCronItems([scheduleTickCronItem]);
    expect(parsed).toHaveLength(1);
    const [item] = parsed;
    expect(item?.task).toBe(scheduleTickTaskName);
    expect(item?.identifier).toBe(scheduleTickTaskName);
    expect(item?.options.backfillPeriod).toBe(0);
  });
});
