import { isIP } from "node:net";
import { eq } from "drizzle-orm";
import type { Database } from "../db/client.js";
import { schema } from "../db/client.js";
import { countActiveTokens, createToken, hashToken } from "./tokens.js";

export class UnsafeBindError extends Error {
  override name = "UnsafeBindError";
}

export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1" || host === "[::1]";
}

/**
 * Makes sure someone can sign in, without ever leaving an open door:
 * - a token given in CONVEYOR_ADMIN_TOKEN (for containers) is registered as an admin token;
 * - with no token at all, binding beyond loopback is refused, and on loopback an admin token is
 *   created and returned, to be printed once as a login link (as Jupyter does).
 */
export async function prepareAccess(
  db: Database,
  options: { host: string; adminToken: string | undefined },
): Promise<{ firstToken: string | null }> {
  if (options.adminToken) {
    const [existing] = await db
      .select({ id: schema.tokens.id })
      .from(schema.tokens)
      .where(eq(schema.tokens.tokenHash, hashToken(options.adminToken)));
    if (!existing) await createToken(db, { name: "CONVEYOR_ADMIN_TOKEN", role: "admin" }, options.adminToken);
  }
  if ((await countActiveTokens(db)) > 0) return { firstToken: null };
  if (!isLoopback(options.host)) {
    throw new UnsafeBindError(
      `HOST=${options.host} would expose Conveyor beyond this machine while no token exists. ` +
        "Create one first (npm run token -- --role admin) or set CONVEYOR_ADMIN_TOKEN.",
    );
  }
  const { token } = await createToken(db, { name: "first start", role: "admin" });
  return { firstToken: token };
}
