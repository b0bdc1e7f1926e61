export * from "./auth.js";
export * from "./backoff.js";
export * from "./events.js";
export * from "./limits.js";
export * from "./runs.js";
export * from "./task.js";
export * from "./taskCatalog.js";
export * from "./tasks/index.js";
