import { z } from "zod";
import { pageDirectionSchema, pageLimitSchema } from "./pagination.js";

export const usernameSchema = z
  .string()
  .trim()
  .min(3)
  .max(40)
  .regex(/^[a-z0-9][\w.-]*$/i, "may hold letters, digits, '_', '.' and '-' only, starting with a letter or digit");

export const registerUserInputSchema = z.strictObject({
  /** Unique, whatever its case. */
  username: usernameSchema,
  /** Unique, whatever its case; the welcome email goes here. */
  email: z.email().max(254),
});
export type RegisterUserInput = z.infer<typeof registerUserInputSchema>;

export const userSchema = z.object({
  id: z.number().int(),
  username: z.string(),
  email: z.email(),
  /** The welcome `email.send` run, enqueued in the transaction that inserted the user. */
  welcomeEmailRunId: z.uuid().nullable(),
  createdAt: z.date(),
});
export type User = z.infer<typeof userSchema>;

export const userIdInputSchema = z.strictObject({ id: z.number().int().positive() });

export const listUsersInputSchema = z.strictObject({
  /** The id of the last user of the previous page (users are listed newest first). */
  cursor: z.number().int().positive().optional(),
  limit: pageLimitSchema,
  direction: pageDirectionSchema,
});

/** What `users.register` and `users.delete` answer: the user and the audit run committed with the write. */
export interface UserWrite {
  user: User;
  /** The `audit.record` run that records the write. */
  auditRunId: string;
}
