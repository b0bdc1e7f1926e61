import { fileURLToPath } from "node:url";
import { build } from "vite";

/** Builds the web UI once before the browser tests, so they exercise what `npm start` serves. */
export default async function buildClient(): Promise<void> {
  await build({
    root: fileURLToPath(new URL("../../client", import.meta.url)),
    configFile: fileURLToPath(new URL("../../client/vite.config.ts", import.meta.url)),
    logLevel: "warn",
  });
}
