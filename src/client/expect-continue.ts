/**
 * Requests with `Expect: 100-continue` (aiohttp's `expect100=True`): the headers go first, the body
 * only after the server's interim `100 Continue`; a final answer instead (a 417, a 401 …) ends the
 * request without the body, and that connection is not reused.
 *
 * undici's HTTP/1.1 client refuses an `Expect` header, so these requests go through `node:http`,
 * on keep-alive agents of their own, driven through the same undici-style handler as every other
 * exchange (`onConnect`, `onHeaders`, `onData`, `onComplete`, `onError`): timeouts, bodies,
 * decompression, cancellation and the response are the same code.
 * @module
 */
import { Buffer } from "node:buffer";
import http from "node:http";
import https from "node:https";
import { pipeline, Readable } from "node:stream";
import type { ConnectionOptions } from "node:tls";
import type { Dispatcher } from "undici";

/** The handler calls undici makes, as `Exchange` implements them. */
export interface ExpectContinueHandler {
  onConnect(abort: (err?: Error) => void): void;
  onHeaders(status: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: string[] | null): void;
  onError(err: Error): void;
  onBodySent(chunk: unknown): void;
}

/** Options of an {@link ExpectContinueDispatcher}. */
export interface ExpectContinueOptions {
  readonly tls: ConnectionOptions;
  readonly localAddress: string | null;
  /** Connections per host (0: no limit). */
  readonly limitPerHost: number;
  /** Seconds an idle connection is kept (0: closed after each response). */
  readonly keepaliveTimeout: number;
  readonly forceClose: boolean;
}

/** An undici error code on an `Error`, so the exchange translates it as it translates undici's. */
function coded(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** @internal Dispatches `Expect: 100-continue` requests over `node:http` (see the module comment). */
export class ExpectContinueDispatcher {
  readonly #http: http.Agent;
  readonly #https: https.Agent;

  constructor(o: ExpectContinueOptions) {
    const common = {
      keepAlive: !o.forceClose,
      keepAliveMsecs: Math.max(1, o.keepaliveTimeout * 1000),
      maxSockets: o.limitPerHost === 0 ? Number.POSITIVE_INFINITY : o.limitPerHost,
      localAddress: o.localAddress ?? undefined,
    };
    this.#http = new http.Agent(common);
    this.#https = new https.Agent({ ...common, ...o.tls });
  }

  /** Send one request; the handler hears everything, as from undici. */
  dispatch(opts: Dispatcher.DispatchOptions, handler: ExpectContinueHandler): boolean {
    const url = new URL(opts.path, opts.origin as string);
    const secure = url.protocol === "https:";
    const headers: [string, string][] = [];
    const flat = opts.headers as string[];
    const body = opts.body as string | Buffer | AsyncIterable<Uint8Array> | null | undefined;
    const has = new Set<string>();
    for (let i = 0; i < flat.length; i += 2) {
      has.add(flat[i]!.toLowerCase());
      headers.push([flat[i]!, flat[i + 1]!]);
    }
    // What undici adds itself, node:http does not for headers given as a list.
    if (!has.has("host")) headers.unshift(["Host", url.host]);
    if (!has.has("content-length") && (typeof body === "string" || Buffer.isBuffer(body)))
      headers.push(["Content-Length", String(Buffer.byteLength(body))]);
    const req = (secure ? https : http).request({
      agent: secure ? this.#https : this.#http,
      protocol: url.protocol,
      hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port === "" ? undefined : Number(url.port),
      path: opts.path,
      method: opts.method,
      headers: headers.flat() as unknown as http.OutgoingHttpHeaders,
    });
    let bodySent = false;
    let headersReceived = false;
    let finished = false;
    const fail = (err: Error): void => {
      if (finished) return;
      finished = true;
      handler.onError(err);
    };
    const abort = (err?: Error): void => {
      req.destroy(err ?? coded("Request aborted", "UND_ERR_ABORTED"));
    };
    req.on("socket", (sock) => {
      if (sock.connecting) sock.once(secure ? "secureConnect" : "connect", () => handler.onConnect(abort));
      else handler.onConnect(abort);
    });
    const idle = opts.headersTimeout ?? 0; // the session's sockRead: between any two reads
    if (idle > 0)
      req.setTimeout(idle, () =>
        req.destroy(
          headersReceived
            ? coded("Body Timeout Error", "UND_ERR_BODY_TIMEOUT")
            : coded("Headers Timeout Error", "UND_ERR_HEADERS_TIMEOUT"),
        ),
      );
    req.on("continue", () => {
      bodySent = true;
      if (body == null) req.end();
      else if (typeof body === "string" || Buffer.isBuffer(body)) {
        handler.onBodySent(typeof body === "string" ? Buffer.from(body) : body);
        req.end(body);
      } else
        pipeline(Readable.from(body), req, (err) => {
          if (err) req.destroy(err);
        });
    });
    req.on("response", (res) => {
      headersReceived = true;
      const raw = res.rawHeaders.map((h) => Buffer.from(h, "latin1"));
      if (!handler.onHeaders(res.statusCode ?? 0, raw, () => res.resume(), res.statusMessage ?? ""))
        res.pause();
      res.on("data", (chunk: Buffer) => {
        if (!handler.onData(chunk)) res.pause();
      });
      res.on("end", () => {
        if (finished) return;
        finished = true;
        handler.onComplete(null);
        // A final answer before `100 Continue`: the body was never sent, so the connection's state
        // is the server's guess — drop it rather than reuse it.
        if (!bodySent) req.destroy();
      });
      res.on("error", fail);
    });
    req.on("error", fail);
    req.on("close", () => {
      if (!finished) fail(coded("other side closed", "UND_ERR_SOCKET"));
    });
    // Send the head now: the body waits for `continue`.
    req.flushHeaders();
    return true;
  }

  /** Close every connection (requests in flight fail). */
  async destroy(): Promise<void> {
    this.#http.destroy();
    this.#https.destroy();
  }
}
