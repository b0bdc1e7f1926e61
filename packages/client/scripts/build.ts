/**
 * Builds dist/ for a package that installs on its own, from its tarball and registry packages:
 *
 * - dist/index.js, dist/react.js, dist/cli.js: src/ bundled by esbuild with `@conveyor/shared`
 *   inside (the task and event definitions a client validates with), every registry dependency
 *   (and React, TanStack Query and @trpc/react-query, which an app brings) left to npm.
 * - dist/index.d.ts, dist/react.d.ts: declarations, bundled. tsc emits declarations for src/ and for the server and
 *   shared sources its types reach (`AppRouter`), and rollup-plugin-dts bundles them, so nothing in
 *   it points at server source. The server's request context (its database, cache, event hub, …),
 *   which no client sees but every procedure's type carries, is declared as `object` first, so
 *   neither the server's modules nor their libraries' types come along.
 *
 * Each file is written to a temporary name and renamed into place, so a test process reading dist/
 * while another builds it never sees a half-written file. With `--if-changed` it does nothing when
 * dist/ was built from the same sources (the CLI and client test files both ask for it).
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build as esbuild } from "esbuild";
import { rollup } from "rollup";
import { dts } from "rollup-plugin-dts";
import ts from "typescript";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const repoRoot = join(packageDir, "..", "..");
const distDir = join(packageDir, "dist");
const stampPath = join(distDir, ".build-stamp");
/** Sources the build reads: the package's own, and the shared and server sources its types reach. */
const sourceDirs = [join(packageDir, "src"), join(repoRoot, "shared", "src"), join(repoRoot, "server", "src")];
/** Workspace packages bundled in; every other bare import is a dependency npm installs. */
const bundledPackages = { "@conveyor/shared": "shared/src/index.ts", "@conveyor/server": "server/src/index.ts" };

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

async function sourceStamp(): Promise<string> {
  const hash = createHash("sha256");
  const inputs = [
    ...(await Promise.all(sourceDirs.map(filesUnder))).flat(),
    join(packageDir, "package.json"),
    join(packageDir, "tsconfig.json"),
    fileURLToPath(import.meta.url),
  ];
  for (const file of inputs.sort())
    hash
      .update(relative(repoRoot, file))
      .update("\0")
      .update(await readFile(file));
  return hash.digest("hex");
}

async function writeAtomically(path: string, text: string | Uint8Array, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode });
  await rename(temporary, path);
}

async function dependencies(): Promise<string[]> {
  const manifest = JSON.parse(await readFile(join(packageDir, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  return [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})];
}

/** A dependency's import, or one of its subpaths: left for npm to resolve. */
function isDependency(id: string, deps: readonly string[]): boolean {
  return deps.some((dep) => id === dep || id.startsWith(`${dep}/`));
}

function compilerOptions(): ts.CompilerOptions {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(packageDir, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
      },
    },
  );
  if (!config) throw new Error("cannot read packages/client/tsconfig.json");
  return config.options;
}

function report(diagnostics: readonly ts.Diagnostic[]): boolean {
  const errors = diagnostics.filter((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error);
  if (errors.length === 0) return true;
  const host: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: () => process.cwd(),
    getNewLine: () => "\n",
  };
  process.stderr.write(ts.formatDiagnosticsWithColorAndContext(errors, host));
  return false;
}

/** tsc's declarations for the entry points and everything they reach, in `outDir`. */
function emitDeclarations(entryPoints: readonly string[], outDir: string): boolean {
  const options: ts.CompilerOptions = {
    ...compilerOptions(),
    noEmit: false,
    declaration: true,
    emitDeclarationOnly: true,
    declarationMap: false,
    outDir,
    rootDir: repoRoot,
    // The workspace packages as sources of this program, so their declarations are emitted too.
    paths: Object.fromEntries(Object.entries(bundledPackages).map(([name, path]) => [name, [join(repoRoot, path)]])),
  };
  const program = ts.createProgram({ rootNames: [...entryPoints], options });
  const own = program.getSourceFiles().filter((file) => file.fileName.startsWith(join(packageDir, "src")));
  // The package's own files are checked here; the server's and shared sources by `npm run typecheck`.
  const checked = report([
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...own.flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]),
  ]);
  if (!checked) return false;
  return report(program.emit().diagnostics);
}

/** Declares the server's request context as `object` in its emitted declarations (see the header). */
async function eraseServerContext(declarationsDir: string): Promise<void> {
  const trpc = join(declarationsDir, "server", "src", "trpc.d.ts");
  const text = await readFile(trpc, "utf8");
  const erased = text
    .replace(/export interface AppServices \{[\s\S]*?\n\}\n/, "export type AppServices = object;\n")
    .replace(/export interface Context extends AppServices \{[\s\S]*?\n\}\n/, "export type Context = object;\n");
  if (erased === text) throw new Error(`found no request context to erase in ${trpc}`);
  await writeFile(trpc, erased);
}

/** One declaration file per entry, each standing alone (no chunk shared between them). */
async function bundleDeclarations(declarationsDir: string, deps: readonly string[]): Promise<string[]> {
  const entries = {
    index: join(declarationsDir, "packages", "client", "src", "index.d.ts"),
    react: join(declarationsDir, "packages", "client", "src", "react", "index.d.ts"),
  };
  const written: string[] = [];
  for (const [name, input] of Object.entries(entries)) {
    written.push(await bundleDeclaration(name, input, declarationsDir, deps));
  }
  return written;
}

async function bundleDeclaration(
  name: string,
  input: string,
  declarationsDir: string,
  deps: readonly string[],
): Promise<string> {
  const declarationOf = (path: string) => join(declarationsDir, path.replace(/\.ts$/, ".d.ts"));
  const bundle = await rollup({
    input,
    // The server's declarations import its libraries; what of them a client's types need is checked below.
    onwarn: (warning, warn) => {
      if (warning.code !== "UNRESOLVED_IMPORT") warn(warning);
    },
    external: (id) => isDependency(id, deps) || id.startsWith("node:") || ["http", "https", "stream"].includes(id),
    plugins: [
      {
        name: "workspace-declarations",
        resolveId: (id) =>
          id in bundledPackages ? declarationOf(bundledPackages[id as keyof typeof bundledPackages]) : null,
      },
      dts(),
    ],
  });
  const { output } = await bundle.generate({ format: "es", inlineDynamicImports: true });
  await bundle.close();
  const [chunk] = output;
  const strays = chunk.imports.filter((id) => !isDependency(id, deps));
  if (strays.length > 0) throw new Error(`${name}.d.ts would import ${strays.join(", ")}: not dependencies`);
  const path = join(distDir, `${name}.d.ts`);
  await writeAtomically(path, chunk.code);
  return path;
}

async function bundleScripts(deps: readonly string[]): Promise<string[]> {
  const result = await esbuild({
    entryPoints: {
      index: join(packageDir, "src", "index.ts"),
      react: join(packageDir, "src", "react", "index.tsx"),
      cli: join(packageDir, "src", "cli.ts"),
    },
    outdir: distDir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    sourcemap: true,
    write: false,
    logLevel: "silent",
    jsx: "automatic",
    external: [...deps.flatMap((dep) => [dep, `${dep}/*`])],
  });
  for (const file of result.outputFiles) {
    // The CLI is executable, so the `conveyor` link npm makes to it runs as a command.
    await writeAtomically(file.path, file.contents, file.path.endsWith("cli.js") ? 0o755 : 0o644);
  }
  return result.outputFiles.map((file) => file.path);
}

/** Removes what an earlier build left in dist/ that this one did not write. */
async function removeStale(written: readonly string[]): Promise<void> {
  const keep = new Set([...written, stampPath]);
  for (const file of await filesUnder(distDir)) {
    if (!keep.has(file) && !file.endsWith(".tmp")) await rm(file, { force: true });
  }
}

async function build(ifChanged: boolean): Promise<void> {
  const stamp = await sourceStamp();
  if (ifChanged && (await readFile(stampPath, "utf8").catch(() => "")) === stamp) return;
  const deps = await dependencies();
  const declarationsDir = await mkdtemp(join(tmpdir(), "conveyor-client-dts-"));
  try {
    const entryPoints = ["index.ts", "react/index.tsx", "cli.ts"].map((file) => join(packageDir, "src", file));
    if (!emitDeclarations(entryPoints, declarationsDir)) {
      process.exitCode = 1;
      return;
    }
    await eraseServerContext(declarationsDir);
    const declarations = await bundleDeclarations(declarationsDir, deps);
    const scripts = await bundleScripts(deps);
    await writeAtomically(stampPath, stamp);
    await removeStale([...declarations, ...scripts]);
  } finally {
    await rm(declarationsDir, { recursive: true, force: true });
  }
}

await build(process.argv.includes("--if-changed"));
