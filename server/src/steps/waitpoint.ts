/** What a suspended run waits for, as its `run.waiting` event tells it. */
export interface Waitpoint {
  step: string;
  kind: "sleep" | "wait";
  /** The event a wait is for. */
  event: string | null;
}
