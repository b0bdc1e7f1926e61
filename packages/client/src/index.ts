export {
  approvalDecided,
  approvalRequest,
  auditRecord,
  bundledEvents,
  bundledTasks,
  defineEvent,
  defineTask,
  type EventDefinition,
  type EventPayload,
  type EventPayloadInput,
  emailSend,
  httpFetch,
  imageResize,
  isHistoryRewound,
  type LiveEvent,
  noop,
  type Run,
  type RunStatus,
  reportGenerate,
  sleep,
  type TaskDefinition,
  type TaskInput,
  type TaskOutput,
  userRegistered,
} from "@conveyor/shared";
export type {
  BundledEvent,
  BundledEventName,
  BundledTask,
  BundledTaskName,
} from "./bundled.js";
export { completeWaitpoint } from "./completeWaitpoint.js";
export { type ClientOptions, type ConveyorClient, createClient, type LiveTransport } from "./createClient.js";
export { type EmitOptions, emit } from "./emit.js";
export { type EnqueuedRun, enqueue } from "./enqueue.js";
export { RunCancelledError, RunFailedError, TaskMismatchError, WaitTimeoutError } from "./errors.js";
export { type WaitForOptions, waitFor } from "./waitFor.js";
