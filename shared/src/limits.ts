/** Limits on what one request may ask for; each is named in the error that enforces it. */
export const limits = {
  /** Bytes of one run's input, serialized as JSON. */
  runInputBytes: 256 * 1024,
  /** Items in one `runs.enqueueMany` call. */
  enqueueManyItems: 5_000,
  /** Runs in one flow (chain steps, group members and callback, DAG nodes). */
  flowNodes: 10_000,
  /** Rows in one page of a listing. */
  pageSize: 200,
  /** Live subscriptions one token may hold open on one API process. */
  subscriptionsPerToken: 100,
  /** Bytes of one message a client sends over the live WebSocket (subscribe, stop, ping). */
  socketMessageBytes: 64 * 1024,
  /** Bytes of one HTTP request body. */
  requestBodyBytes: 8 * 1024 * 1024,
} as const;
