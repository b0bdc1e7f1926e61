import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The directory holding `drizzle/migrations`, found by walking up from this module: the same
 * answer whether it runs from `server/src` (tsx) or bundled into `server/dist/main.js` (the image).
 */
function findRepositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "drizzle", "migrations"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find drizzle/migrations above the server's code");
    dir = parent;
  }
}

export const repositoryRoot = findRepositoryRoot();
