import { createHash, randomBytes } from "node:crypto";
import { type Role, type TokenInfo, tokenPattern, tokenPrefix } from "@conveyor/shared";
import { and, count, desc, eq, isNull } from "drizzle-orm";
import type { Executor } from "../db/client.js";
import { schema } from "../db/client.js";
import { NotFoundError } from "../errors.js";

/** Who is calling: resolved from a bearer token or the session cookie. */
export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
}

/** 32 random bytes: guessing one is hopeless, so a fast hash is enough to store it safely. */
export function generateToken(): string {
  return `${tokenPrefix}${randomBytes(32).toString("base64url")}`;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function looksLikeToken(value: string): boolean {
  return tokenPattern.test(value);
}

type TokenRow = typeof schema.tokens.$inferSelect;

function toInfo(row: TokenRow): TokenInfo {
  const { tokenHash: _hash, ...info } = row;
  return info;
}

export interface CreatedToken {
  /** Shown once; only its hash is stored. */
  token: string;
  info: TokenInfo;
}

export async function createToken(
  db: Executor,
  spec: { name: string; role: Role },
  token = generateToken(),
): Promise<CreatedToken> {
  const [row] = await db
    .insert(schema.tokens)
    .values({ name: spec.name, role: spec.role, tokenHash: hashToken(token), prefix: token.slice(0, 8) })
    .returning();
  if (!row) throw new Error("token insert returned nothing");
  return { token, info: toInfo(row) };
}

export async function listTokens(db: Executor): Promise<TokenInfo[]> {
  const rows = await db.select().from(schema.tokens).orderBy(desc(schema.tokens.createdAt));
  return rows.map(toInfo);
}

export async function revokeToken(db: Executor, id: string): Promise<TokenInfo> {
  const [row] = await db
    .update(schema.tokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(schema.tokens.id, id), isNull(schema.tokens.revokedAt)))
    .returning();
  if (row) return toInfo(row);
  const [existing] = await db.select().from(schema.tokens).where(eq(schema.tokens.id, id));
  if (!existing) throw new NotFoundError(`token ${id} does not exist`);
  return toInfo(existing);
}

export async function countActiveTokens(db: Executor): Promise<number> {
  const [row] = await db.select({ n: count() }).from(schema.tokens).where(isNull(schema.tokens.revokedAt));
  return row?.n ?? 0;
}

/** How long a verified token is trusted without asking the database again. */
export const authCacheTtlMs = 5_000;
/** `last_used_at` is written at most this often per token. */
const lastUsedResolutionMs = 60_000;

/**
 * Resolves tokens to principals. Answers are cached briefly, so a busy client costs one lookup per
 * few seconds; a revocation in this process takes effect at once, in others within the TTL.
 */
export class TokenAuthenticator {
  readonly #cache = new Map<string, { principal: Principal | null; expiresAt: number }>();
  readonly #lastUsedWritten = new Map<string, number>();

  constructor(private readonly db: Executor) {}

  async authenticate(token: string): Promise<Principal | null> {
    if (!looksLikeToken(token)) return null;
    const hash = hashToken(token);
    const cached = this.#cache.get(hash);
    if (cached && cached.expiresAt > Date.now()) return cached.principal;
    const [row] = await this.db
      .select()
      .from(schema.tokens)
      .where(and(eq(schema.tokens.tokenHash, hash), isNull(schema.tokens.revokedAt)));
    const principal = row ? { tokenId: row.id, name: row.name, role: row.role } : null;
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(hash, { principal, expiresAt: Date.now() + authCacheTtlMs });
    if (principal) this.#touch(principal.tokenId);
    return principal;
  }

  /** Drops every cached answer; called after a revocation. */
  forgetAll(): void {
    this.#cache.clear();
  }

  #touch(tokenId: string): void {
    const last = this.#lastUsedWritten.get(tokenId) ?? 0;
    if (Date.now() - last < lastUsedResolutionMs) return;
    this.#lastUsedWritten.set(tokenId, Date.now());
    void this.db
      .update(schema.tokens)
      .set({ lastUsedAt: new Date() })
      .where(eq(schema.tokens.id, tokenId))
      .catch(() => {});
  }
}
