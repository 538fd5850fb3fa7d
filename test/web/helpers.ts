/**
 * Helpers shared by the web server's functional tests: deferreds, a captured web log, a raw socket
 * client for byte-exact requests, and a `node:http` client for what `fetch` cannot do (Expect,
 * keep-alive agents, streamed uploads). Every helper closes what it opens; the "guard" timers only
 * turn a hang into a failure, they never measure anything.
 */
import * as http from "node:http";
import * as net from "node:net";
import { webLogger } from "../../src/web/index.js";

export { type Deferred, deferred, eventually } from "../helpers.js";

/** Collect the web logger's records (`"error: …"`) while `fn` runs; the handler is restored after. */
export async function captureWebLog<T>(
  fn: (logs: string[]) => Promise<T>,
): Promise<{ result: T; logs: string[] }> {
  const logs: string[] = [];
  const prev = webLogger.handler;
  webLogger.handler = (level, message) => {
    logs.push(`${level}: ${message}`);
  };
  try {
    const result = await fn(logs);
    return { result, logs };
  } finally {
    webLogger.handler = prev;
  }
}

/** What {@link rawExchange} saw. */
export interface RawResult {
  /** Everything the server sent (latin1). */
  text: string;
  /** True when the server closed the connection (false: we stopped because `until` matched). */
  closedByServer: boolean;
}

/** Options of {@link rawExchange}. */
export interface RawOptions {
  /** Stop (and close our side) once this returns true for what was received so far. */
  until?: (text: string) => boolean;
  /** Seconds before a hang becomes a failure (default 10). */
  guard?: number;
  /** Called with the socket once connected (to pause it, write more, destroy it …). */
  onConnect?: (sock: net.Socket) => void;
}

/**
 * Connect to 127.0.0.1:`port`, write `data` as is, and collect the answer until the server closes
 * the connection (or `until` matches).
 */
export function rawExchange(
  port: number,
  data: string | Buffer,
  options: RawOptions = {},
): Promise<RawResult> {
  const { until, guard = 10, onConnect } = options;
  return new Promise<RawResult>((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    let text = "";
    let settled = false;
    const finish = (closedByServer: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ text, closedByServer });
    };
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      sock.destroy();
      reject(new Error(`no answer within the guard; received so far: ${JSON.stringify(text)}`));
    }, guard * 1000);
    sock.on("connect", () => {
      onConnect?.(sock);
      sock.write(data);
    });
    sock.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      if (until?.(text)) finish(false);
    });
    sock.on("error", () => {}); // a reset by the server ends like a close
    sock.on("close", () => finish(true));
  });
}

/** The status lines (`HTTP/1.1 200 OK`) found in a raw exchange, in order. */
export function statusLines(text: string): string[] {
  return text.match(/HTTP\/1\.[01] \d{3}[^\r\n]*/g) ?? [];
}

/** The head of the first response in `text`, as lower-case header name → values. */
export function parseHead(text: string): { status: number; headers: Map<string, string[]>; body: string } {
  const end = text.indexOf("\r\n\r\n");
  const head = end === -1 ? text : text.slice(0, end);
  const [statusLine = "", ...lines] = head.split("\r\n");
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return { status: Number(statusLine.split(" ")[1]), headers, body: end === -1 ? "" : text.slice(end + 4) };
}

/** What {@link httpRequest} returns. */
export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** True when the server sent `100 Continue` before the final response. */
  continued: boolean;
}

/** Options of {@link httpRequest}: Node's, plus the body. */
export interface HttpOptions extends http.RequestOptions {
  /** Sent at once (after `100 Continue` when `Expect: 100-continue` is set). */
  body?: string | Buffer;
  /** Streamed instead (with back-pressure): called with the request once it may write. */
  writeBody?: (req: http.ClientRequest) => Promise<void>;
}

/**
 * One request with `node:http` (no agent unless one is given). With `Expect: 100-continue` the
 * body is sent only after the server's `100 Continue`; if the final answer comes first, it is never sent.
 */
export function httpRequest(url: URL | string, options: HttpOptions = {}): Promise<HttpResult> {
  const { body, writeBody, ...rest } = options;
  return new Promise<HttpResult>((resolve, reject) => {
    let continued = false;
    const req = http.request(url, { agent: false, ...rest }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), continued }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    const expect = Object.entries(rest.headers ?? {}).some(
      ([k, v]) => k.toLowerCase() === "expect" && String(v).toLowerCase() === "100-continue",
    );
    const send = (): void => {
      if (writeBody !== undefined) {
        writeBody(req).then(
          () => req.end(),
          (e: unknown) => req.destroy(e as Error),
        );
      } else req.end(body);
    };
    if (expect) {
      req.on("continue", () => {
        continued = true;
        send();
      });
      req.flushHeaders();
    } else send();
  });
}

/** Write `total` bytes of `byte` to `req` in `chunk`-sized pieces, waiting for `drain` when asked. */
export async function writeInChunks(
  req: http.ClientRequest,
  total: number,
  chunk = 64 * 1024,
  byte = 0x78,
): Promise<void> {
  const piece = Buffer.alloc(chunk, byte);
  for (let sent = 0; sent < total; sent += chunk) {
    const part = total - sent >= chunk ? piece : piece.subarray(0, total - sent);
    if (!req.write(part)) await new Promise<void>((r) => req.once("drain", r));
  }
}
