import { approvalDecided } from "./approvalDecided.js";
import { userRegistered } from "./userRegistered.js";

export { approvalDecided, userRegistered };

/** Every event the API accepts. */
export const bundledEvents = [userRegistered, approvalDecided] as const;
