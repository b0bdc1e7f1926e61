import type { EventInfo } from "@conveyor/shared";
import Table from "cli-table3";

/** The payload's fields from its JSON Schema, optional ones marked with "?": "subject, approved, note?". */
export function payloadFields(payloadSchema: EventInfo["payloadSchema"]): string {
  const { properties, required } = payloadSchema;
  if (!properties || typeof properties !== "object") return "";
  const isRequired = new Set(Array.isArray(required) ? required : []);
  return Object.keys(properties)
    .map((field) => (isRequired.has(field) ? field : `${field}?`))
    .join(", ");
}

/** `conveyor events list`: one row per event the API accepts, with its payload's fields and subscribers. */
export function formatEventTable(events: readonly EventInfo[]): string {
  const table = new Table({
    head: ["name", "payload", "subscribers", "description"],
    style: { head: [], border: [], compact: true },
  });
  for (const event of events) {
    table.push([event.name, payloadFields(event.payloadSchema), event.subscribers.join(", "), event.description]);
  }
  return table.toString();
}
