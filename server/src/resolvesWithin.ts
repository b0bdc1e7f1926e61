/**
 * Whether `promise` resolves within `ms` (false if it rejects or is still pending then). For
 * waits that must stay bounded however long the thing waited on takes: a drain, a probe, a
 * database that may be unreachable. The promise itself goes on; only the wait ends.
 */
export async function resolvesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
