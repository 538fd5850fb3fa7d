/**
 * The `asyncio` logger: where the loop reports slow callbacks, never-retrieved exceptions and
 * other diagnostics. Replace `logger.handler` to capture them (tests do).
 */
export type LogLevel = "debug" | "info" | "warning" | "error";

/** The logger the core writes its diagnostics to. */
export const logger = {
  /** Receives every record; the default prints warnings and errors on stderr. */
  handler: (level: LogLevel, message: string): void => {
    if (level === "warning" || level === "error") console.error(`aiots ${level}: ${message}`);
  },
  debug(message: string): void {
    this.handler("debug", message);
  },
  info(message: string): void {
    this.handler("info", message);
  },
  warning(message: string): void {
    this.handler("warning", message);
  },
  error(message: string): void {
    this.handler("error", message);
  },
};
