/**
 * The web server's loggers (aiohttp's `aiohttp.web`, `aiohttp.server` and `aiohttp.access`) and the
 * access-log formatter.
 *
 * Like the core's `logger`, each is a plain object whose `handler` receives every record: replace it
 * to capture or route records (tests do). The access log uses aiohttp's format language:
 * `%a %t "%r" %s %b "%{Referer}i" "%{User-Agent}i"` by default.
 */
import { ArgumentTypeError, type LogLevel, ValueError } from "../index.js";

/**
 * A logger: records at or above `level` go to `handler` (records below it cost nothing, not even
 * their formatting).
 */
export interface WebLogger {
  /** The lowest level passed to `handler` (`"warning"` by default, like Python's root logger). */
  level: LogLevel;
  /** Where records go. */
  handler: (level: LogLevel, message: string) => void;
  /** True when a record at `level` would reach the handler. */
  isEnabledFor(level: LogLevel): boolean;
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warning: 30, error: 40 };

function makeLogger(handler: (level: LogLevel, message: string) => void): WebLogger {
  return {
    level: "warning",
    handler,
    isEnabledFor(level) {
      return RANK[level] >= RANK[this.level];
    },
    debug(message) {
      if (this.isEnabledFor("debug")) this.handler("debug", message);
    },
    info(message) {
      if (this.isEnabledFor("info")) this.handler("info", message);
    },
    warning(message) {
      if (this.isEnabledFor("warning")) this.handler("warning", message);
    },
    error(message) {
      if (this.isEnabledFor("error")) this.handler("error", message);
    },
  };
}

/**
 * `aiots.web`: errors of handlers and of the server (an unhandled error's stack goes here, never to
 * the client). Prints on stderr.
 */
export const webLogger: WebLogger = makeLogger((level, message) => {
  console.error(`aiots.web ${level}: ${message}`);
});

/**
 * `aiots.access`: one `info` record per request, formatted by {@link AccessLogger}, printed on
 * stdout. Like aiohttp's `aiohttp.access` under Python's default logging, it is silent until its
 * level allows `info`: `web.accessLogger.level = "info"` (runApp's `debug` mode does it).
 */
export const accessLogger: WebLogger = makeLogger((_level, message) => {
  console.log(message);
});

/** aiohttp's default access-log format. */
export const DEFAULT_ACCESS_LOG_FORMAT = '%a %t "%r" %s %b "%{Referer}i" "%{User-Agent}i"';

/** What one access-log line is made from. */
export interface AccessLogRecord {
  /** Remote address. */
  remote: string;
  /** Request start, ms since the epoch. */
  start: number;
  /** Request duration in seconds. */
  duration: number;
  method: string;
  /** The request target as received (path and query). */
  target: string;
  /** `"1.1"`. */
  httpVersion: string;
  status: number;
  /** Response body bytes sent. */
  bodySize: number;
  pid: number;
  /** Request header by name (any case). */
  requestHeader(name: string): string | undefined;
  /** Response header by name (any case). */
  responseHeader(name: string): string | undefined;
}

type Part = string | ((r: AccessLogRecord) => string);

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** `[01/Dec/2026:22:30:07 +0000]`, Apache's `%t` (UTC). */
function apacheTime(ms: number): string {
  const d = new Date(ms);
  return (
    `[${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000]`
  );
}

const dash = (v: string | undefined): string => (v === undefined || v === "" ? "-" : v);

const SIMPLE: Record<string, (r: AccessLogRecord) => string> = {
  a: (r) => r.remote,
  t: (r) => apacheTime(r.start),
  P: (r) => String(r.pid),
  r: (r) => `${r.method} ${r.target} HTTP/${r.httpVersion}`,
  s: (r) => String(r.status),
  b: (r) => String(r.bodySize),
  T: (r) => String(Math.round(r.duration)),
  Tf: (r) => r.duration.toFixed(6),
  D: (r) => String(Math.round(r.duration * 1e6)),
};

/**
 * Compiles an aiohttp access-log format once: `%a` remote address, `%t` time, `%P` pid, `%r` first
 * request line, `%s` status, `%b` body bytes, `%T` seconds, `%Tf` seconds with fraction, `%D`
 * microseconds, `%{Name}i` request header, `%{Name}o` response header, `%%` a percent sign.
 * @throws {ValueError} for an unknown directive.
 */
export class AccessLogger {
  readonly #parts: Part[];

  constructor(format: string = DEFAULT_ACCESS_LOG_FORMAT) {
    if (typeof format !== "string")
      throw new ArgumentTypeError(`accessLogFormat must be a string, got ${typeof format}`);
    this.#parts = compile(format);
  }

  /** The log line for one request. */
  format(r: AccessLogRecord): string {
    let out = "";
    for (const p of this.#parts) out += typeof p === "string" ? p : p(r);
    return out;
  }
}

function literal(text: string, format: string): string {
  if (text.includes("%")) throw new ValueError(`unknown access log directive in ${JSON.stringify(format)}`);
  return text;
}

function compile(format: string): Part[] {
  const parts: Part[] = [];
  const re = /%(?:\{([^}]*)\}([io])|(Tf|[atPrsbTD%]))/g;
  let last = 0;
  for (let m = re.exec(format); m !== null; m = re.exec(format)) {
    if (m.index > last) parts.push(literal(format.slice(last, m.index), format));
    last = re.lastIndex;
    if (m[3] === "%") parts.push("%");
    else if (m[3] !== undefined) parts.push(SIMPLE[m[3]]!);
    else {
      const name = m[1]!;
      parts.push(m[2] === "i" ? (r) => dash(r.requestHeader(name)) : (r) => dash(r.responseHeader(name)));
    }
  }
  const rest = format.slice(last);
  if (rest !== "") parts.push(literal(rest, format));
  return parts;
}
