import { approvalDecided } from "../emittedEvents/approvalDecided.js";
import { chain } from "../flowBuilder.js";
import { auditRecord } from "../tasks/auditRecord.js";
import { noop } from "../tasks/diagnostics.js";
import { defineFlowTrigger } from "./defineFlowTrigger.js";

/** When something is approved: record it in the audit log, then hand the entry on (a two-step chain). */
export const approvalFollowUp = defineFlowTrigger({
  name: "approval.follow-up",
  on: approvalDecided,
  filter: (decision) => decision.approved,
  flow: (decision) => ({
    kind: "chain",
    ...chain(auditRecord, {
      action: "approval.granted",
      actor: decision.by,
      subject: { type: "approval", id: decision.subject },
      details: decision.note === undefined ? {} : { note: decision.note },
      occurredAt: new Date().toISOString(),
    })
      .pipe(noop)
      .toInput(),
  }),
});
