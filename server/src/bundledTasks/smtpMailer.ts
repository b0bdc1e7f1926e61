import { createTransport } from "nodemailer";
import { NonRetryableError } from "../worker/taskErrors.js";

/** One email as the mailer hands it to the SMTP server. */
export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  /** The Message-ID header, `<…@…>`; the same for every attempt of one email. */
  messageId: string;
}

/** Sends an email, or throws: a `NonRetryableError` when the server refused it for good. */
export interface Mailer {
  send(email: OutgoingEmail): Promise<{ response: string }>;
}

/** Used when SMTP_URL names no sender with `?from=`. */
export const defaultFromAddress = "Conveyor <noreply@conveyor.localhost>";

// Well under email.send's 30 s attempt timeout: nodemailer cannot be aborted, so its own timeouts
// are what end a hung connection, and they must fire before the attempt is abandoned.
const connectionTimeoutMs = 10_000;
const greetingTimeoutMs = 10_000;
const socketTimeoutMs = 20_000;

/**
 * A mailer for `smtp://user:pass@host:port?from=…` (STARTTLS when offered) or `smtps://…`
 * (TLS from the start). One connection per email: sends are rare and retried, a pool is not worth
 * its idle connections.
 */
export function createSmtpMailer(smtpUrl: string): Mailer {
  const url = new URL(smtpUrl);
  const secure = url.protocol === "smtps:";
  const from = url.searchParams.get("from") ?? defaultFromAddress;
  const transport = createTransport({
    host: url.hostname,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    ...(url.username
      ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }
      : {}),
    connectionTimeout: connectionTimeoutMs,
    greetingTimeout: greetingTimeoutMs,
    socketTimeout: socketTimeoutMs,
  });
  return {
    async send(email) {
      try {
        const info = await transport.sendMail({ from, ...email });
        return { response: String(info.response) };
      } catch (error) {
        throw classifySmtpError(error);
      }
    },
  };
}

/**
 * 5xx replies are permanent (no such mailbox, message refused, bad credentials): retrying cannot
 * help. 4xx replies (421 try later, 450 mailbox busy) and network errors are transient.
 */
export function classifySmtpError(error: unknown): Error {
  const { responseCode, response } = error as { responseCode?: unknown; response?: unknown };
  const reply = typeof response === "string" ? response : "";
  const message = error instanceof Error ? error.message : String(error);
  if (typeof responseCode === "number" && responseCode >= 500 && responseCode < 600) {
    return new NonRetryableError(`the SMTP server refused the email for good: ${reply || message}`, { cause: error });
  }
  if (typeof responseCode === "number") {
    return new Error(`the SMTP server deferred the email (${responseCode}): ${reply || message}`, { cause: error });
  }
  return new Error(`could not reach the SMTP server: ${message}`, { cause: error });
}
