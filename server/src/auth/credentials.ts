import { sessionCookieName } from "@conveyor/shared";

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
