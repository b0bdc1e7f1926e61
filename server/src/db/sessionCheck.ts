import { randomBytes } from "node:crypto";
import pg from "pg";
import { resolvesWithin } from "../resolvesWithin.js";
import { redact } from "./ensureDatabase.js";

/** How long a notification sent through the pooled URL may take to reach the session URL's listener. */
export const sessionCheckTimeoutMs = 5_000;

const channel = "conveyor_session_check";

export class SessionCheckError extends Error {
  override name = "SessionCheckError";
}

/**
 * Checks at start that `directUrl` keeps a session and reaches the database `databaseUrl` serves:
 * a LISTEN on it must hear a notification sent through `databaseUrl`. Behind a pooler in
 * transaction mode a LISTEN's server connection goes back to the pool when its statement ends, so
 * nothing is heard; without this check the live feed, cancellations and pauses would go quiet and
 * graphile-worker would find jobs only by polling.
 */
export async function checkSessionUrl(urls: { databaseUrl: string; directUrl: string }): Promise<void> {
  const { databaseUrl, directUrl } = urls;
  const token = randomBytes(8).toString("hex");
  const listener = new pg.Client({ connectionString: directUrl });
  const sender = new pg.Client({ connectionString: databaseUrl });
  listener.on("error", () => {});
  sender.on("error", () => {});
  try {
    await listener.connect();
    await listener.query(`listen ${channel}`);
    const heard = new Promise<void>((resolve) => {
      listener.on("notification", (message) => {
        if (message.payload === token) resolve();
      });
    });
    await sender.connect();
    await sender.query("select pg_notify($1, $2)", [channel, token]);
    if (await resolvesWithin(heard, sessionCheckTimeoutMs)) return;
  } finally {
    await Promise.all([listener.end().catch(() => {}), sender.end().catch(() => {})]);
  }
  throw new SessionCheckError(
    directUrl === databaseUrl
      ? `DATABASE_URL (${redact(databaseUrl)}) keeps no session: a LISTEN on it heard nothing within ` +
          `${sessionCheckTimeoutMs / 1_000} s, as behind a pooler in transaction mode. Set DIRECT_DATABASE_URL ` +
          "to the database's direct address (or a pooler in session mode); DATABASE_URL may stay on the pooler."
      : `DIRECT_DATABASE_URL (${redact(directUrl)}) must keep a session and reach the database DATABASE_URL ` +
          `(${redact(databaseUrl)}) serves: a LISTEN on it heard nothing sent through DATABASE_URL within ` +
          `${sessionCheckTimeoutMs / 1_000} s. Point it at the same database directly, not through a pooler in transaction mode.`,
  );
}
