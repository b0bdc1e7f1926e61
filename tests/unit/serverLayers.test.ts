import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/*
 * The server's folders form layers: a folder may import from another only if that one imports
 * nothing back, directly or through others. A file at the top of server/src is a module of its
 * own (the composition roots, the logger, the error types).
 */

const root = resolve(import.meta.dirname, "../../server/src");

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) ? [path] : [];
  });
}

/** A file's module: its top folder under server/src, or the file itself at the top. */
function moduleOf(path: string): string {
  const parts = relative(root, path).split("/");
  return parts.length > 1 ? `${parts[0]}/` : (parts[0] ?? path);
}

/** Every import between modules, type-only ones included, with one file that makes it. */
function moduleImports(): Map<string, Map<string, string>> {
  const edges = new Map<string, Map<string, string>>();
  for (const file of sourceFiles(root)) {
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(/\bfrom\s+"(\.{1,2}\/[^"]+)"/g)) {
      const target = resolve(dirname(file), match[1] ?? "");
      if (!target.startsWith(root)) continue;
      const [from, to] = [moduleOf(file), moduleOf(target)];
      if (from === to) continue;
      const targets = edges.get(from) ?? new Map<string, string>();
      if (!targets.has(to)) targets.set(to, `${relative(root, file)} imports ${match[1]}`);
      edges.set(from, targets);
    }
  }
  return edges;
}

/** The strongly connected groups of more than one module (Tarjan): each is an import cycle. */
function importCycles(edges: Map<string, Map<string, string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node) ?? 0);
    stack.push(node);
    for (const next of edges.get(node)?.keys() ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (stack.includes(next)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(next) ?? 0));
      }
    }
    if (low.get(node) === index.get(node)) {
      const group: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member !== undefined) group.push(member);
      } while (member !== node && member !== undefined);
      if (group.length > 1) cycles.push(group.sort());
    }
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

describe("the server's folders", () => {
  const edges = moduleImports();

  it("import each other without cycles", () => {
    const explained = importCycles(edges).map((group) =>
      group.flatMap((from) => [...(edges.get(from) ?? [])].filter(([to]) => group.includes(to)).map(([, why]) => why)),
    );
    expect(explained).toEqual([]);
  });

  it("reach the run lifecycle's statements through transitions/ and graphile-worker's tables through jobs/", () => {
    const privateTables = sourceFiles(root)
      .filter((file) => /graphile_worker\._private_/.test(readFileSync(file, "utf8")))
      .map((file) => relative(root, file));
    expect(privateTables.every((file) => file.startsWith("jobs/"))).toBe(true);
    expect(privateTables.length).toBeGreaterThan(0);
    const eventInserts = sourceFiles(root)
      .filter((file) => /insert into events\b/.test(readFileSync(file, "utf8")))
      .map((file) => relative(root, file))
      .sort();
    // Run events are written by the transition shape; activity (logs, progress) is the one other writer.
    expect(eventInserts).toEqual(["runs/sql/recordActivity.ts", "transitions/runTransition.ts"]);
  });
});
