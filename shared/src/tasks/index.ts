import { noop, sleep } from "./diagnostics.js";
import { emailSend } from "./emailSend.js";
import { reportGenerate } from "./reportGenerate.js";

export { emailSend, noop, reportGenerate, sleep };

/** Every task that ships with Conveyor. */
export const bundledTasks = [reportGenerate, emailSend, noop, sleep] as const;
