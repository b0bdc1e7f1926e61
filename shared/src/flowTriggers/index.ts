import { approvalFollowUp } from "./approvalFollowUp.js";

export * from "./defineFlowTrigger.js";
export { approvalFollowUp };

/** Every flow that ships with Conveyor started by an event. */
export const bundledFlowTriggers = [approvalFollowUp] as const;
