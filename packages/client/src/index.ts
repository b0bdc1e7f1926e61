export { completeWaitpoint } from "./completeWaitpoint.js";
export { type ClientOptions, type ConveyorClient, createClient, type LiveTransport } from "./createClient.js";
export { type EmitOptions, emit } from "./emit.js";
export { type EnqueuedRun, enqueue } from "./enqueue.js";
export { RunCancelledError, RunFailedError, TaskMismatchError, WaitTimeoutError } from "./errors.js";
export { type WaitForOptions, waitFor } from "./waitFor.js";
