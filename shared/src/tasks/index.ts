import { approvalRequest } from "./approvalRequest.js";
import { auditRecord } from "./auditRecord.js";
import { noop, sleep } from "./diagnostics.js";
import { emailSend } from "./emailSend.js";
import { httpFetch, httpFetchLimits } from "./httpFetch.js";
import { imageResize } from "./imageResize.js";
import { reportGenerate } from "./reportGenerate.js";

export {
  approvalRequest,
  auditRecord,
  emailSend,
  httpFetch,
  httpFetchLimits,
  imageResize,
  noop,
  reportGenerate,
  sleep,
};

/** Every task that ships with Conveyor. */
export const bundledTasks = [
  reportGenerate,
  emailSend,
  noop,
  sleep,
  auditRecord,
  imageResize,
  httpFetch,
  approvalRequest,
] as const;
