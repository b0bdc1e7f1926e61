/**
 * Builds dist/ from src/ with the TypeScript compiler: JS, declarations and source maps.
 *
 * Plain `tsc` cannot do it: `import type { AppRouter } from "@conveyor/server"` brings the server's
 * sources into the program, and tsc would emit them too (or, with preserveSymlinks, fail to resolve
 * the server's own imports). So this checks src/ like tsc, then emits src/ alone.
 *
 * Each file is written to a temporary name and renamed into place, so a test process reading
 * dist/ while another builds it never sees a half-written file. With `--if-changed` it does nothing
 * when dist/ was built from the same sources (the two CLI and client test files both ask for it).
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const configPath = join(packageDir, "tsconfig.build.json");
const stampPath = join(packageDir, "dist", ".build-stamp");
const binPath = ts.sys.resolvePath(join(packageDir, "dist", "cli.js"));
/** "File is not under rootDir": expected for the server sources, which are read and not emitted. */
const notUnderRootDir = 6059;

function parseConfig(): ts.ParsedCommandLine {
  const config = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
      },
    },
  );
  if (!config) throw new Error(`cannot read ${configPath}`);
  return config;
}

async function sourceStamp(config: ts.ParsedCommandLine): Promise<string> {
  const hash = createHash("sha256");
  const inputs = [...config.fileNames, configPath, join(packageDir, "tsconfig.json"), fileURLToPath(import.meta.url)];
  for (const file of inputs.sort())
    hash
      .update(relative(packageDir, file))
      .update("\0")
      .update(await readFile(file));
  return hash.digest("hex");
}

async function writeAtomically(path: string, text: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode });
  await rename(temporary, path);
}

async function build(ifChanged: boolean): Promise<void> {
  const config = parseConfig();
  const stamp = await sourceStamp(config);
  if (ifChanged && (await readFile(stampPath, "utf8").catch(() => "")) === stamp) return;

  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
  const ownFiles = new Set(config.fileNames.map((file) => ts.sys.resolvePath(file)));
  const ownSourceFiles = program.getSourceFiles().filter((file) => ownFiles.has(ts.sys.resolvePath(file.fileName)));
  // Only the package's own files are checked here: the server's sources it reads are checked by the
  // repository's `npm run typecheck`, so work in progress there does not stop this build.
  const diagnostics = [
    ...program.getOptionsDiagnostics().filter((diagnostic) => diagnostic.code !== notUnderRootDir),
    ...program.getGlobalDiagnostics(),
    ...ownSourceFiles.flatMap((file) => [
      ...program.getSyntacticDiagnostics(file),
      ...program.getSemanticDiagnostics(file),
      ...program.getDeclarationDiagnostics(file),
    ]),
  ].filter((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error);
  if (diagnostics.length > 0) {
    const host: ts.FormatDiagnosticsHost = {
      getCanonicalFileName: (name) => name,
      getCurrentDirectory: () => process.cwd(),
      getNewLine: () => "\n",
    };
    process.stderr.write(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
    process.exitCode = 1;
    return;
  }

  const outputs: { path: string; text: string }[] = [];
  for (const sourceFile of ownSourceFiles) {
    const result = program.emit(sourceFile, (path, text) => outputs.push({ path, text }));
    if (result.emitSkipped) throw new Error(`tsc skipped emitting ${sourceFile.fileName}`);
  }
  // The bin is executable, so the `conveyor` link npm makes to it runs as a command.
  for (const output of outputs)
    await writeAtomically(output.path, output.text, output.path === binPath ? 0o755 : 0o644);
  await writeAtomically(stampPath, stamp);
}

await build(process.argv.includes("--if-changed"));
