import type pg from "pg";

type ConnectCallback = (
  error: Error | undefined,
  client: pg.PoolClient | undefined,
  done: (release?: unknown) => void,
) => void;

/**
 * The pool as graphile-worker should see it: the same pool, except that a client checked out with
 * a callback may be handed back more than once. graphile-worker 0.17 releases its LISTEN client
 * twice when the connection is cut while its pool shuts down (once for the shutdown, once for the
 * failed `LISTEN`); pg-pool answers the second release by throwing inside an async function, and
 * the unhandled rejection ends the whole process. Only the first release counts.
 */
export function releaseOncePool(pool: pg.Pool): pg.Pool {
  const connect = (callback?: ConnectCallback) => {
    if (!callback) return pool.connect();
    pool.connect((error, client, release) => {
      let isReleased = false;
      callback(error, client, (releaseError?: unknown) => {
        if (isReleased) return;
        isReleased = true;
        release(releaseError);
      });
    });
    return undefined;
  };
  return new Proxy(pool, {
    get(target, property) {
      if (property === "connect") return connect;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
