import type { Database } from "../db/client.js";
import type { TaskImplementation } from "../worker/taskImplementation.js";
import { noopImplementation, sleepImplementation } from "./diagnostics.js";
import { implementEmailSend } from "./emailSend.js";
import { implementReportGenerate } from "./reportGenerate.js";

/** Implementations of every bundled task, bound to their dependencies. */
export function bundledImplementations(db: Database): TaskImplementation[] {
  return [implementReportGenerate({ stepMs: 400 }), implementEmailSend(db), noopImplementation, sleepImplementation];
}
