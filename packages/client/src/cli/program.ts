import type { PauseKind, RunStatus } from "@conveyor/shared";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { type ConveyorClient, createClient } from "../createClient.js";
import { waitFor } from "../waitFor.js";
import { describeError } from "./describeError.js";
import { formatEventTable } from "./eventTable.js";
import { exitCodes, InterruptedError, tokenHint, UsageError } from "./exitCodes.js";
import { formatEventLine } from "./formatEvent.js";
import { formatPauseTable } from "./pauseTable.js";
import { createProgressDisplay } from "./progressDisplay.js";
import { formatRunTable } from "./runTable.js";
import { formatStepTable } from "./stepTable.js";

/** Where the command line talks to the world; the real process's streams and environment, or a test's. */
export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C: `watch` stops waiting and `tail` stops following. */
  signal: AbortSignal;
}

export const defaultUrl = "http://127.0.0.1:3000";

interface GlobalOptions {
  url: string;
  token?: string;
}

/** Commander's codes for help and version output, which are not errors. */
const helpCodes: ReadonlySet<string> = new Set(["commander.helpDisplayed", "commander.help", "commander.version"]);

function parseJson(json: string, option: string): unknown {
  try {
    return JSON.parse(json);
  } catch (error) {
    throw new UsageError(`${option} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError("expected a positive whole number");
  return number;
}

function eventId(value: string): string {
  if (!/^\d{1,18}$/.test(value)) throw new InvalidArgumentError("expected an event id (digits)");
  return value;
}

const json = (value: unknown) => JSON.stringify(value ?? null, null, 2);

/** Runs `conveyor <args>` and resolves with its exit code; every failure is one line on stderr. */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  let url = io.env.CONVEYOR_URL || defaultUrl;

  const connect = (command: Command): ConveyorClient => {
    const options = command.optsWithGlobals<GlobalOptions>();
    if (!options.token) throw new UsageError(`no token: ${tokenHint}`);
    return createClient({ url: options.url, token: options.token });
  };

  /** Follows a run until it finishes: progress on stderr, its output as JSON on stdout. */
  const follow = async (client: ConveyorClient, runId: string, task: string) => {
    const display = createProgressDisplay(io.stderr, task);
    try {
      const output = await waitFor(client, runId, { onEvent: (event) => display.show(event), signal: io.signal });
      display.stop();
      io.stdout.write(`${json(output)}\n`);
    } catch (error) {
      throw io.signal.aborted ? new InterruptedError(runId) : error;
    } finally {
      display.stop();
    }
  };

  const program = new Command("conveyor")
    .description("Enqueue, inspect and follow Conveyor runs; emit events; pause tasks and queues.")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .addOption(
      new Option("--url <url>", "the Conveyor server (env CONVEYOR_URL)").default(io.env.CONVEYOR_URL || defaultUrl),
    )
    .addOption(
      new Option("--token <token>", "an API token (env CONVEYOR_TOKEN); `npm run token -- --role operator`").default(
        io.env.CONVEYOR_TOKEN || undefined,
        io.env.CONVEYOR_TOKEN ? "$CONVEYOR_TOKEN" : undefined,
      ),
    )
    .hook("preAction", (_program, action) => {
      url = action.optsWithGlobals<GlobalOptions>().url;
    })
    .addHelpText(
      "after",
      "\nExit codes: 0 done (a watched run succeeded), 1 the run failed or was cancelled, 2 usage or validation error, 3 server unreachable or failing.",
    );

  program
    .command("run")
    .description("enqueue a run of a task and print its id (with --watch: follow it and print its output)")
    .argument("<task>", "the task's name, e.g. report.generate")
    .option("-i, --input <json>", "the task's input as JSON", "{}")
    .option("-w, --watch", "follow the run with a progress bar until it finishes")
    .action(async (task: string, options: { input: string; watch?: boolean }, command: Command) => {
      const input = parseJson(options.input, "--input");
      const client = connect(command);
      const run = await client.runs.enqueue.mutate({ task, input });
      if (!options.watch) {
        io.stdout.write(`${run.id}\n`);
        return;
      }
      io.stderr.write(`enqueued ${task} run ${run.id}\n`);
      await follow(client, run.id, task);
    });

  program
    .command("get")
    .description("print a run as JSON: status, progress, input, output, error, attempts…")
    .argument("<id>", "the run's id")
    .action(async (id: string, _options: object, command: Command) => {
      const run = await connect(command).runs.get.query({ id });
      io.stdout.write(`${json(run)}\n`);
    });

  program
    .command("ls")
    .description("list runs, newest first")
    .option("--status <status>", "only runs in this status (queued, running, succeeded, failed, …)")
    .option("--task <task>", "only runs of this task")
    .option("--limit <n>", "at most this many runs (up to 200)", positiveInteger, 20)
    .action(async (options: { status?: string; task?: string; limit: number }, command: Command) => {
      const page = await connect(command).runs.list.query({
        // The server checks the status and names the allowed ones if it is not one of them.
        ...(options.status ? { status: options.status as RunStatus } : {}),
        ...(options.task ? { task: options.task } : {}),
        limit: options.limit,
      });
      io.stdout.write(`${formatRunTable(page.items)}\n`);
    });

  program
    .command("cancel")
    .description("cancel an unfinished run (a running attempt is told to abort)")
    .argument("<id>", "the run's id")
    .action(async (id: string, _options: object, command: Command) => {
      const run = await connect(command).runs.cancel.mutate({ id });
      io.stdout.write(`run ${run.id} ${run.status}\n`);
    });

  program
    .command("retry")
    .description("give a failed or cancelled run one more attempt")
    .argument("<id>", "the run's id")
    .option("-w, --watch", "follow the run until it finishes")
    .action(async (id: string, options: { watch?: boolean }, command: Command) => {
      const client = connect(command);
      const run = await client.runs.retry.mutate({ id });
      io.stdout.write(`run ${run.id} ${run.status}\n`);
      if (options.watch) await follow(client, run.id, run.task);
    });

  program
    .command("watch")
    .description("follow a run with a progress bar until it finishes, then print its output")
    .argument("<id>", "the run's id")
    .action(async (id: string, _options: object, command: Command) => {
      const client = connect(command);
      const run = await client.runs.get.query({ id });
      await follow(client, run.id, run.task);
    });

  program
    .command("tail")
    .description("print live events, one line each, until Ctrl-C")
    .option("--task <task>", "only events of this task's runs")
    .option("--status <status>", "only events that move runs into this status (failed → run.failed)")
    .option("--queue <queue>", "only events of runs in this queue")
    .option("--after <eventId>", "start after this event id (default: from now)", eventId)
    .action(async (options: { task?: string; status?: string; queue?: string; after?: string }, command: Command) => {
      const client = connect(command);
      await new Promise<void>((resolve, reject) => {
        let isFollowing = false;
        const subscription = client.events.feed.subscribe(
          {
            ...(options.task ? { task: options.task } : {}),
            ...(options.status ? { status: options.status as RunStatus } : {}),
            ...(options.queue ? { queue: options.queue } : {}),
            ...(options.after ? { lastEventId: options.after } : {}),
          },
          {
            onStarted: () => {
              if (!isFollowing) io.stderr.write("following events; Ctrl-C to stop\n");
              isFollowing = true;
            },
            onConnectionStateChange: (state) => {
              if (state.state === "connecting" && state.error) {
                io.stderr.write(`connection lost (${state.error.message}); reconnecting\n`);
              }
            },
            onData: ({ data: events }) =>
              io.stdout.write(events.map((event) => `${formatEventLine(event)}\n`).join("")),
            onError: reject,
            onComplete: resolve,
          },
        );
        io.signal.addEventListener(
          "abort",
          () => {
            subscription.unsubscribe();
            resolve();
          },
          { once: true },
        );
      });
    });

  const runs = program.command("runs").description("a run's durable steps, and completing the one it waits at");

  runs
    .command("steps")
    .description("list a run's durable steps: stored results, and the sleep or wait it is in with its deadline")
    .argument("<id>", "the run's id")
    .action(async (id: string, _options: object, command: Command) => {
      const steps = await connect(command).runs.steps.query({ id });
      io.stdout.write(`${formatStepTable(steps)}\n`);
    });

  runs
    .command("complete")
    .description("complete a run's waiting step with a payload of the event it waits for, and resume the run")
    .argument("<id>", "the run's id")
    .argument("<waitpoint>", "the waiting step's name, e.g. decision (see `conveyor runs steps <id>`)")
    .option("-o, --output <json>", "the step's result, a payload of its event as JSON", "{}")
    .action(async (id: string, waitpoint: string, options: { output: string }, command: Command) => {
      const output = parseJson(options.output, "--output");
      const completed = await connect(command).runs.complete.mutate({ id, waitpoint, output });
      io.stdout.write(
        completed.resumed
          ? `run ${completed.runId} resumed at ${completed.waitpoint}\n`
          : `run ${completed.runId}: ${completed.waitpoint} was already completed\n`,
      );
    });

  const events = program.command("events").description("emit typed events and list the ones the API accepts");

  events
    .command("emit")
    .description(
      "emit an event: start its subscribers' runs and resume the runs waiting for it; prints the result as JSON",
    )
    .argument("<name>", "the event's name, e.g. user.registered (see `conveyor events list`)")
    .option("-p, --payload <json>", "the event's payload as JSON", "{}")
    .option("--key <key>", "an idempotency key: emitting again with it starts and resumes nothing")
    .action(async (name: string, options: { payload: string; key?: string }, command: Command) => {
      const payload = parseJson(options.payload, "--payload");
      const emitted = await connect(command).events.emit.mutate({
        name,
        payload,
        ...(options.key ? { idempotencyKey: options.key } : {}),
      });
      io.stdout.write(`${json(emitted)}\n`);
    });

  events
    .command("list")
    .description("list the events the API accepts, with their payload's fields and the tasks subscribed to them")
    .action(async (_options: object, command: Command) => {
      const definitions = await connect(command).events.definitions.query();
      io.stdout.write(`${formatEventTable(definitions)}\n`);
    });

  // The server checks the kind and names the allowed ones if it is not one of them.
  program
    .command("pause")
    .description("pause a task or a queue: none of its runs start until it is resumed; running attempts finish")
    .argument("<kind>", "task or queue")
    .argument("<name>", "the task's or queue's name")
    .action(async (kind: string, name: string, _options: object, command: Command) => {
      const pause = await connect(command).pauses.pause.mutate({ kind: kind as PauseKind, name });
      io.stdout.write(`${pause.kind} ${pause.name} paused\n`);
    });

  program
    .command("resume")
    .description("resume a paused task or queue")
    .argument("<kind>", "task or queue")
    .argument("<name>", "the task's or queue's name")
    .action(async (kind: string, name: string, _options: object, command: Command) => {
      const { resumed } = await connect(command).pauses.resume.mutate({ kind: kind as PauseKind, name });
      io.stdout.write(resumed ? `${kind} ${name} resumed\n` : `${kind} ${name} was not paused\n`);
    });

  program
    .command("pauses")
    .description("list the paused tasks and queues")
    .action(async (_options: object, command: Command) => {
      const pauses = await connect(command).pauses.list.query();
      io.stdout.write(`${formatPauseTable(pauses)}\n`);
    });

  try {
    await program.parseAsync(args, { from: "user" });
    return exitCodes.ok;
  } catch (error) {
    // Commander has already printed its own message (unknown option, missing argument…).
    if (error instanceof CommanderError) return helpCodes.has(error.code) ? exitCodes.ok : exitCodes.usage;
    const report = describeError(error, url);
    io.stderr.write(`conveyor: ${report.message}\n`);
    return report.exitCode;
  }
}
