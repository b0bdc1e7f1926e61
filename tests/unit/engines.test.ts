import { readFile } from "node:fs/promises";
import semver from "semver";
import { describe, expect, it } from "vitest";

const lockfile = JSON.parse(await readFile(new URL("../../package-lock.json", import.meta.url), "utf8")) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
};
const project = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as {
  engines: { node: string };
};

describe("the locked dependencies", () => {
  it("all run on every Node the project declares (npm install prints no EBADENGINE)", () => {
    const lowest = semver.minVersion(project.engines.node)?.version;
    expect(lowest).toBeDefined();
    const refusing = Object.entries(lockfile.packages).flatMap(([path, entry]) => {
      const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      if (!range || !lowest) return [];
      const runs = semver.satisfies(lowest, range) && semver.satisfies(process.version, range);
      return runs ? [] : [`${path}@${entry.version ?? "?"} needs node ${range}`];
    });
    expect(refusing).toEqual([]);
  });
});
