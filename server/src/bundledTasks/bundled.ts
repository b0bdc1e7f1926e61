import type { Config } from "../config/env.js";
import type { Database } from "../db/client.js";
import { ImageStorage } from "../images/storage.js";
import type { TaskImplementation } from "../worker/taskImplementation.js";
import { approvalRequestImplementation } from "./approvalRequest.js";
import { implementAuditRecord } from "./auditRecord.js";
import { noopImplementation, sleepImplementation } from "./diagnostics.js";
import { implementEmailSend } from "./emailSend.js";
import { httpFetchImplementation } from "./httpFetch.js";
import { implementImageResize } from "./imageResize.js";
import { implementReportGenerate } from "./reportGenerate.js";
import { createSmtpMailer } from "./smtpMailer.js";

/** What the bundled tasks need besides the database. */
export interface BundledTaskSettings {
  /** `email.send` delivers through this SMTP server; without it emails stay in the outbox. */
  smtpUrl?: string | undefined;
  /** Where `image.resize` reads originals and writes thumbnails. */
  storage: ImageStorage;
}

/** The settings a loaded configuration gives. */
export function bundledTaskSettings(config: Pick<Config, "SMTP_URL" | "STORAGE_DIR">): BundledTaskSettings {
  return { smtpUrl: config.SMTP_URL, storage: new ImageStorage(config.STORAGE_DIR) };
}

/** Implementations of every bundled task, bound to their dependencies. */
export function bundledImplementations(db: Database, settings: BundledTaskSettings): TaskImplementation[] {
  return [
    implementReportGenerate({ stepMs: 400, db }),
    implementEmailSend(db, { mailer: settings.smtpUrl ? createSmtpMailer(settings.smtpUrl) : null }),
    noopImplementation,
    sleepImplementation,
    approvalRequestImplementation,
    implementAuditRecord(db),
    implementImageResize(db, settings.storage),
    httpFetchImplementation,
  ];
}
