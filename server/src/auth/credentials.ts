import { type Role, sessionCookieName } from "@conveyor/shared";
import type { Principal, TokenAuthenticator } from "./tokens.js";

/** The token a request carries: the Authorization header wins over the session cookie. */
export function tokenFromRequest(
  headers: { authorization?: string | undefined },
  cookies: Record<string, string | undefined>,
): string | null {
  const header = headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    return match?.[1] ?? null;
  }
  return cookies[sessionCookieName] ?? null;
}

/** Who sent the request: the principal of the token it carries, or null without a valid one. */
export async function principalOf(
  request: { headers: { authorization?: string | undefined }; cookies: Record<string, string | undefined> },
  authenticator: TokenAuthenticator,
): Promise<Principal | null> {
  const token = tokenFromRequest(request.headers, request.cookies);
  return token ? authenticator.authenticate(token) : null;
}

/** What a caller without a valid token is told, by tRPC and plain routes alike. */
export const tokenRequiredMessage = "a valid token is required: send `Authorization: Bearer <token>` or sign in";

/** What a caller whose role is too low is told, by tRPC and plain routes alike. */
export function roleTooLowMessage(principal: Principal, required: Role): string {
  return `this needs the ${required} role; token "${principal.name}" has ${principal.role}`;
}
