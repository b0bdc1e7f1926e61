import { Logger as GraphileLogger, type LogLevel as GraphileLogLevel } from "graphile-worker";
import { pino } from "pino";

export type AppLogger = pino.Logger;

export function createLogger(level: pino.LevelWithSilent): AppLogger {
  return pino({ level, base: { pid: process.pid } });
}

const graphileLevels: Record<GraphileLogLevel, "error" | "warn" | "info" | "debug"> = {
  error: "error",
  warning: "warn",
  info: "info",
  debug: "debug",
};

/** Routes graphile-worker's own log lines into the app's logger, one level lower (they are chatty). */
export function toGraphileLogger(logger: AppLogger): GraphileLogger {
  return new GraphileLogger((scope) => (level, message, meta) => {
    const mapped = graphileLevels[level];
    const quieter = mapped === "info" ? "debug" : mapped;
    logger[quieter]({ component: "graphile-worker", ...scope, ...meta }, message);
  });
}
