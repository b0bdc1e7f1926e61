import { z } from "zod";

/** Each role can do everything the roles before it can. */
export const roles = ["viewer", "operator", "admin"] as const;
export const roleSchema = z.enum(roles);
export type Role = z.infer<typeof roleSchema>;

/** A Conveyor token: `cvy_` and 32 random bytes in base64url. */
export const tokenPrefix = "cvy_";
export const tokenPattern = /^cvy_[\w-]{43}$/;

export function hasRole(actual: Role, required: Role): boolean {
  return roles.indexOf(actual) >= roles.indexOf(required);
}

export const tokenNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[\w .@:-]+$/, "may hold letters, digits, spaces and _ . @ : - only");

export const createTokenInputSchema = z.strictObject({
  name: tokenNameSchema,
  role: roleSchema,
});

export const tokenIdInputSchema = z.strictObject({ id: z.uuid() });

export const tokenInfoSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  role: roleSchema,
  /** The first characters of the token, to tell tokens apart; never enough to use one. */
  prefix: z.string(),
  createdAt: z.date(),
  lastUsedAt: z.date().nullable(),
  revokedAt: z.date().nullable(),
});
export type TokenInfo = z.infer<typeof tokenInfoSchema>;

/** The cookie that carries a browser's session; HttpOnly, so page scripts never see the token. */
export const sessionCookieName = "conveyor_session";
