import { z } from "zod";
import { defineEvent } from "../eventDefinitions.js";

/** Emitted by the example app when a user registers, in the registration's transaction. */
export const userRegistered = defineEvent({
  name: "user.registered",
  description: "A user registered in the example app.",
  payload: z.object({
    userId: z.number().int(),
    username: z.string(),
    email: z.email(),
    /** The token that registered them. */
    actor: z.string(),
    registeredAt: z.iso.datetime(),
  }),
});
