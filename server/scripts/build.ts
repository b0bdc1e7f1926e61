/**
 * Compiles the server into one ES module, `server/dist/main.js`, for the image: our code, the
 * shared package and the drizzle schema bundled; every npm dependency left to `node_modules`
 * (native ones, like sharp, cannot be bundled, and production installs have them all).
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("../../", import.meta.url));

async function dependenciesOf(workspace: string): Promise<string[]> {
  const manifest = JSON.parse(await readFile(`${root}${workspace}/package.json`, "utf8")) as {
    dependencies?: Record<string, string>;
  };
  return Object.keys(manifest.dependencies ?? {});
}

const external = [...(await dependenciesOf("server")), ...(await dependenciesOf("shared"))].filter(
  (name) => !name.startsWith("@conveyor/"),
);

await build({
  entryPoints: [`${root}server/src/main.ts`],
  outfile: `${root}server/dist/main.js`,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  // Subpath imports (drizzle-orm/pg-core, …) are external too.
  external: [...external, ...external.map((name) => `${name}/*`)],
  // Bundled CommonJS-style code may call require; an ES module has none of its own.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  logLevel: "warning",
});
console.log("built server/dist/main.js");
