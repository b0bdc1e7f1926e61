import { postgresErrorCode } from "./pgErrors.js";

const retryableCodes = new Set(["40P01", "40001"]);

/**
 * Runs a transaction again when Postgres aborted it as a deadlock victim or a serialization
 * failure: the work is correct, only its timing collided with another transaction's.
 */
export async function withDeadlockRetry<T>(transaction: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await transaction();
    } catch (error) {
      const code = postgresErrorCode(error);
      if (attempt >= attempts || !code || !retryableCodes.has(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}
