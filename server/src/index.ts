export { type Conveyor, type ConveyorOptions, startConveyor } from "./app.js";
export { type Config, loadConfig } from "./config/env.js";
export { type AppRouter, appRouter, createCaller } from "./router.js";
export { enqueueRuns, getRun, listRuns } from "./runs/service.js";
export { WaitTimeoutError } from "./steps/stepErrors.js";
export { NonRetryableError } from "./worker/taskErrors.js";
export { implementTask, type TaskContext, type TaskImplementation } from "./worker/taskImplementation.js";
