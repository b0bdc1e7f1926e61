import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { emailSend, type TaskInput } from "@conveyor/shared";
import { eq, sql } from "drizzle-orm";
import { SMTPServer, type SMTPServerError } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { implementEmailSend, messageIdFor } from "../server/src/bundledTasks/emailSend.js";
import { createSmtpMailer } from "../server/src/bundledTasks/smtpMailer.js";
import { schema } from "../server/src/db/client.js";
import { NonRetryableError } from "../server/src/worker/taskErrors.js";
import { attemptContext, type ExampleWorker, startExampleWorker } from "./fixtures/exampleWorker.js";
import { isFinished, startFileConveyor, waitForRun } from "./fixtures/testConveyor.js";

interface Delivery {
  to: string[];
  messageId: string | null;
  subject: string | null;
}

/** An SMTP server in this process that keeps what it accepts, and refuses or holds messages on request. */
class SmtpSink {
  readonly deliveries: Delivery[] = [];
  readonly #refusals: number[] = [];
  #hold: { reached: () => void; released: Promise<void> } | null = null;
  readonly #server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData: (stream, session, callback) => {
      let raw = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        raw += chunk;
      });
      stream.on("end", async () => {
        const hold = this.#hold;
        if (hold) {
          this.#hold = null;
          hold.reached();
          await hold.released;
        }
        const refusal = this.#refusals.shift();
        if (refusal !== undefined) {
          const error: SMTPServerError = new Error(refusal < 500 ? "try again later" : "mailbox unavailable");
          error.responseCode = refusal;
          callback(error);
          return;
        }
        this.deliveries.push({
          to: session.envelope.rcptTo.map((address) => address.address),
          messageId: header(raw, "Message-ID"),
          subject: header(raw, "Subject"),
        });
        callback();
      });
    },
  });
  url = "";

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    const address = this.#server.server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    this.url = `smtp://127.0.0.1:${port}`;
  }

  /** The next messages get these reply codes instead of being accepted. */
  refuseNext(...codes: number[]): void {
    this.#refusals.push(...codes);
  }

  /** The next message waits, after its data arrived, until released; `reached` resolves once it is there. */
  holdNext(): { reached: Promise<void>; release: () => void } {
    let reached = () => {};
    let release = () => {};
    const reachedPromise = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#hold = { reached, released };
    return { reached: reachedPromise, release };
  }

  deliveriesOf(runId: string): Delivery[] {
    return this.deliveries.filter((delivery) => delivery.messageId === messageIdFor(runId));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

function header(raw: string, name: string): string | null {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? "";
  const match = new RegExp(`^${name}:\\s*(.*)$`, "im").exec(head);
  return match?.[1]?.trim() ?? null;
}

const { database, app } = await startFileConveyor("email", { worker: false });
let worker: ExampleWorker;
const sink = new SmtpSink();

beforeAll(async () => {
  await sink.start();
  worker = await startExampleWorker(database.url, { smtpUrl: sink.url, storageDir: tmpdir() });
});

afterAll(async () => {
  await worker?.close();
  await sink.close();
});

const welcome = (to: string): TaskInput<typeof emailSend> => ({ to, subject: "Welcome", body: `Hello ${to}` });

async function send(to: string, options: { maxAttempts?: number } = {}) {
  const { id } = await app.clients.operator.runs.enqueue.mutate({ task: "email.send", input: welcome(to), options });
  return waitForRun(database.url, id, isFinished);
}

async function outboxRow(runId: string) {
  const [row] = await app.conveyor.db.select().from(schema.outbox).where(eq(schema.outbox.runId, runId));
  return row;
}

/** The task as one more attempt of `runId` would run it, against the same sink. */
function attempt(runId: string, to: string) {
  const task = implementEmailSend(app.conveyor.db, { mailer: createSmtpMailer(sink.url) });
  return task.handle(emailSend.input.parse(welcome(to)), attemptContext(runId));
}

describe("email.send through SMTP", () => {
  it("delivers the email once, with a Message-ID fixed by the run, and marks it sent", async () => {
    const run = await send("ada@example.com");
    expect(run).toMatchObject({ status: "succeeded", attempts: 1, output: { status: "sent", to: "ada@example.com" } });
    expect(sink.deliveriesOf(run.id)).toEqual([
      { to: ["ada@example.com"], messageId: `<run.${run.id}@conveyor>`, subject: "Welcome" },
    ]);
    expect((await outboxRow(run.id))?.sentAt).toBeInstanceOf(Date);
  });

  it("a 421 on the first attempt is retried with backoff, and the email is delivered once", async () => {
    sink.refuseNext(421);
    const run = await send("grace@example.com");
    expect(run).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(sink.deliveriesOf(run.id)).toHaveLength(1);
    const events = await app.conveyor.db.execute<{ type: string; payload: { error?: { message: string } } }>(
      sql`select type, payload from events where run_id = ${run.id} and type = 'run.retrying'`,
    );
    expect(events.rows).toHaveLength(1);
    expect(JSON.stringify(events.rows[0]?.payload)).toContain("421");
  });

  it("a permanent 5xx fails the run at once, without retrying, and nothing is marked sent", async () => {
    sink.refuseNext(550);
    const run = await send("nobody@example.com", { maxAttempts: 5 });
    expect(run).toMatchObject({ status: "failed", attempts: 1 });
    expect(run.error).toMatchObject({ name: "NonRetryableError", isRetryable: false });
    expect(run.error?.message).toContain("550");
    expect(sink.deliveriesOf(run.id)).toEqual([]);
    expect((await outboxRow(run.id))?.sentAt).toBeNull();
  });

  it("is never sent twice for one run, even when the worker dies after sending and the run is attempted again", async () => {
    const run = await send("linus@example.com");
    expect(sink.deliveriesOf(run.id)).toHaveLength(1);
    // The first attempt sent and marked the email, but its completion was lost: a new attempt
    // of the same run finds the email marked and sends nothing.
    expect(await attempt(run.id, "linus@example.com")).toEqual({ status: "sent", to: "linus@example.com" });
    expect(sink.deliveriesOf(run.id)).toHaveLength(1);
  });

  it("two attempts of one run at once deliver once: the second waits its turn", async () => {
    const runId = randomUUID();
    const held = sink.holdNext();
    const first = attempt(runId, "alan@example.com");
    await held.reached;
    // The first attempt is mid-SMTP with the outbox row locked.
    await expect(attempt(runId, "alan@example.com")).rejects.toThrow(/another attempt is sending/);
    held.release();
    await first;
    await attempt(runId, "alan@example.com");
    expect(sink.deliveriesOf(runId)).toHaveLength(1);
  });

  it("a crash between the server accepting and the commit resends at most once, with the same Message-ID", async () => {
    const run = await send("barbara@example.com");
    // As if the transaction marking it sent had never committed.
    await app.conveyor.db.update(schema.outbox).set({ sentAt: null }).where(eq(schema.outbox.runId, run.id));
    await attempt(run.id, "barbara@example.com");
    await attempt(run.id, "barbara@example.com");
    const deliveries = sink.deliveriesOf(run.id);
    expect(deliveries).toHaveLength(2);
    expect(new Set(deliveries.map((delivery) => delivery.messageId)).size).toBe(1);
  });

  it("an SMTP server that cannot be reached is a transient failure", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const address = closed.address();
    const port = typeof address === "object" && address ? address.port : 0;
    await new Promise((resolve) => closed.close(resolve));
    const error = await createSmtpMailer(`smtp://127.0.0.1:${port}`)
      .send({ to: "x@example.com", subject: "s", text: "t", messageId: messageIdFor(randomUUID()) })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(NonRetryableError);
    expect((error as Error).message).toMatch(/could not reach the SMTP server/);
  });
});
