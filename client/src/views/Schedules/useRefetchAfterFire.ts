import { useEffect, useRef } from "react";

/** The scheduler's tick runs about once a second; a fire shows in the row a little after its time. */
const afterFireMs = 2_000;
/** A fire time already past (the scheduler is down or behind) is looked at again this often. */
const overdueRetryMs = 10_000;
/** setTimeout's longest delay; a fire further off is waited for in steps. */
const longestTimerMs = 2_147_483_647;

/**
 * Calls `refetch` shortly after the earliest of `fireTimes`: that is when a schedule's last and
 * next fire times change. Firing is the server's doing and makes no event a view could follow, so
 * the view asks again exactly when there is something new to see, rather than on an interval.
 */
export function useRefetchAfterFire(fireTimes: readonly (Date | null)[], refetch: () => void): void {
  const refetchRef = useRef(refetch);
  useEffect(() => {
    refetchRef.current = refetch;
  });
  const times = fireTimes.flatMap((date) => (date ? [date.getTime()] : []));
  const earliest = times.length > 0 ? Math.min(...times) : null;
  useEffect(() => {
    if (earliest === null) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Until a refetch brings a new fire time (and this effect starts over), keep looking now and then.
    const arm = (wait: number) => {
      timer = setTimeout(() => {
        refetchRef.current();
        arm(overdueRetryMs);
      }, wait);
    };
    const untilShown = earliest - Date.now() + afterFireMs;
    arm(Math.min(longestTimerMs, untilShown > 0 ? untilShown : overdueRetryMs));
    return () => clearTimeout(timer);
  }, [earliest]);
}
