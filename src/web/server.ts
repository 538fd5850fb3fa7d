/**
 * The request handler on `node:http` (aiohttp's `web_protocol.RequestHandler` + `web_server.Server`).
 *
 * llhttp parses (strict mode: smuggling shapes, bad chunk sizes, oversize headers and slow headers
 * get 400/431/408 from Node with the connection closed). Each request then runs in one aiots
 * {@link Task}: the route's compiled handler (middlewares + handler), then the response is written
 * — one `writeHead` + `end` for a finished `Response`. The task is started as an I/O turn of the
 * loop, so it runs in the same Node callback as the request event.
 */

import * as http from "node:http";
import * as https from "node:https";
import process from "node:process";
import { inspect } from "node:util";
import { asAwaitable, startTask } from "../asyncio/kernel.js";
import { ConnectionResetError, type EventLoop, Future, isCancelledError } from "../index.js";
import type { Application } from "./app.js";
import { HTTPException, HTTPExpectationFailed } from "./exceptions.js";
import { AccessLogger, type WebLogger, webLogger } from "./log.js";
import { Request, type RequestContext, splitTarget } from "./request.js";
import { Response, StreamResponse } from "./response.js";
import { closeForShutdown, upgradeResponse } from "./websocket.js";

/** Options of the request handler (set through `AppRunner`). */
export interface HandlerOptions {
  /** Cancel the handler task when the client goes away (default false, as aiohttp ≥ 3.9). */
  handlerCancellation?: boolean;
  /** Where access-log records go (`null`: none). */
  accessLog?: WebLogger | null;
  /** aiohttp's access-log format. */
  accessLogFormat?: string;
  /** Largest request head (bytes); more is a 431 (Node's default 16 KiB). */
  maxHeaderSize?: number;
  /** Seconds to receive the whole request head (slow headers → 408). Default 60. */
  headersTimeout?: number;
  /** Seconds to receive the whole request (→ 408). Default 300, as Node's; 0 disables. */
  requestTimeout?: number;
  /** Seconds an idle keep-alive connection stays open (aiohttp's `keepalive_timeout`, 75). */
  keepAliveTimeout?: number;
}

/** The 500 body: no stack, ever (aiohttp's text). */
const INTERNAL_ERROR_TEXT = "500 Internal Server Error\n\nServer got itself in trouble";

/**
 * Serves one application: the `request` listener of every Node server a site creates, the set of
 * requests in flight, and their graceful end.
 * @internal Used by AppRunner and the sites.
 */
export class RequestHandler {
  readonly app: Application;
  readonly loop: EventLoop;
  readonly #options: HandlerOptions;
  readonly #accessLog: WebLogger | null;
  readonly #accessFormat: AccessLogger | null;
  readonly #inFlight = new Set<Request<any>>();
  #idle: Future<void> | null = null;
  #closing = false;
  readonly #servers = new Set<http.Server>();

  constructor(app: Application, loop: EventLoop, options: HandlerOptions = {}) {
    this.app = app;
    this.loop = loop;
    this.#options = options;
    this.#accessLog = options.accessLog ?? null;
    this.#accessFormat = this.#accessLog === null ? null : new AccessLogger(options.accessLogFormat);
  }

  /** A Node server (HTTP, or HTTPS with `ssl`) whose requests this handler serves. */
  createNodeServer(ssl?: https.ServerOptions | null): http.Server {
    const o = this.#options;
    const serverOptions: http.ServerOptions = {
      maxHeaderSize: o.maxHeaderSize,
      insecureHTTPParser: false,
      // Seconds (aiohttp's unit) to Node's integer milliseconds.
      requestTimeout: o.requestTimeout === undefined ? undefined : Math.ceil(o.requestTimeout * 1000),
      headersTimeout: Math.ceil((o.headersTimeout ?? 60) * 1000),
      keepAliveTimeout: Math.ceil((o.keepAliveTimeout ?? 75) * 1000),
      // Node checks the two timeouts above only every 30 s by default: check often enough to honour them.
      connectionsCheckingInterval: Math.min(
        30_000,
        Math.max(10, Math.ceil((Math.min(o.headersTimeout ?? 60, o.requestTimeout || 300) * 1000) / 4)),
      ),
    };
    const ctx: RequestContext = { loop: this.loop, scheme: ssl ? "https" : "http" };
    const listener = (req: http.IncomingMessage, res: http.ServerResponse): void =>
      this.handle(req, res, ctx);
    const server = ssl
      ? https.createServer({ ...serverOptions, ...ssl }, listener)
      : http.createServer(serverOptions, listener);
    // Expect: 100-continue is answered once the handler reads the body (or refused with 413/417).
    server.on("checkContinue", (req, res) => this.handle(req, res, ctx, true));
    // An HTTP upgrade (WebSocket) is routed like any request; `WebSocketResponse.prepare()` takes the socket.
    server.on("upgrade", (req, socket, head) => this.handle(req, upgradeResponse(req, socket, head), ctx));
    server.on("checkExpectation", (_req, res) => {
      const e = new HTTPExpectationFailed();
      res.writeHead(e.status, { "Content-Type": "text/plain; charset=utf-8", Connection: "close" });
      res.end(e.text);
    });
    this.#servers.add(server);
    server.once("close", () => this.#servers.delete(server));
    return server;
  }

  /** Requests whose handler has not finished. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** The `request` listener. */
  handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    ctx: RequestContext,
    expectContinue = false,
  ): void {
    const target = splitTarget(req.url);
    const match = this.app.router.resolve(req.method ?? "GET", target[0]);
    const request = new Request(req, res, match.app, ctx, match.matchInfo, target);
    if (expectContinue) {
      const max = match.app.clientMaxSize;
      const declared = request.contentLength;
      if (max > 0 && declared !== null && declared > max) {
        // Refused before the client sends the body.
        res.shouldKeepAlive = false;
        res.writeHead(413, { "Content-Type": "text/plain; charset=utf-8" });
        res.end(`Maximum request body size ${max} exceeded, actual body size ${declared}`);
        return;
      }
      request.onFirstRead = () => res.writeContinue();
    }
    if (this.#closing) res.shouldKeepAlive = false;
    this.#inFlight.add(request);
    if (this.#options.handlerCancellation) res.once("close", () => this.#clientGone(request));
    const handler = match.handler;
    request.handlerTask = startTask(this.loop, () => this.#run(request, handler) as Promise<void>);
  }

  #clientGone(request: Request<any>): void {
    const res = request.nodeResponse!;
    if (res.writableFinished) return;
    request.abortController?.abort(new Error("client disconnected"));
    request.handlerTask?.cancel("client disconnected");
  }

  /**
   * The task's body: run the handler, then answer. The common case (an async handler) is one
   * `then` on the handler's promise — no async function of ours in between.
   */
  #run(request: Request<any>, handler: (r: Request<any>) => unknown): PromiseLike<void> {
    const start = this.#accessLog !== null && this.#accessLog.isEnabledFor("info") ? Date.now() : 0;
    let out: unknown;
    try {
      out = handler(request);
    } catch (e) {
      out = Promise.reject(e);
    }
    const onAnswer = (value: unknown): void | Promise<void> => this.#answer(request, value, start);
    const onError = (e: unknown): void | Promise<void> => this.#fail(request, e, start);
    if (out instanceof Promise) return out.then(onAnswer, onError);
    // A generator coroutine, a coroutine() call, another thenable, or a plain response.
    return (async () => (await asAwaitable(out)) as unknown)().then(onAnswer, onError);
  }

  /** The handler returned `out`: send it (or a 500 when it is not a response). */
  #answer(request: Request<any>, out: unknown, start: number): void | Promise<void> {
    let resp: StreamResponse;
    if (out instanceof StreamResponse) resp = out;
    else if (out instanceof HTTPException) resp = exceptionResponse(out);
    else {
      webLogger.error(
        `Web-handler should return a response instance, got ${inspect(out, { depth: 0 })} (${request.method} ${request.pathQs})`,
      );
      resp = errorResponse(this.app, null);
    }
    return this.#finish(request, resp, start);
  }

  /** The handler threw `e`. A cancellation ends the task cancelled; nothing more is sent then. */
  #fail(request: Request<any>, e: unknown, start: number): void | Promise<void> {
    if (isCancelledError(e)) {
      // Cancelled (client gone with handlerCancellation, or shutdown).
      const res = request.nodeResponse!;
      if (!res.writableEnded) res.destroy();
      this.#done(request);
      throw e;
    }
    if (e instanceof HTTPException) return this.#finish(request, exceptionResponse(e), start);
    if (e instanceof ConnectionResetError && request.nodeResponse!.destroyed) {
      // The client went away while the handler read its body or wrote to it: nothing to answer,
      // and nothing wrong with the server (aiohttp logs it at debug level too).
      webLogger.debug(
        `Client disconnected during ${request.method} ${request.pathQs}: ${(e as Error).message}`,
      );
      this.#done(request);
      return;
    }
    webLogger.error(`Error handling request ${request.method} ${request.pathQs}\n${stackOf(e)}`);
    return this.#finish(request, errorResponse(this.app, e), start);
  }

  /**
   * Send `resp`: a finished `Response` synchronously (one writeHead + end, no promise); any other
   * response the handler did not prepare (a FileResponse …) through its own async `prepare()` and
   * `writeEof()`, still inside the task, so shutdown waits for it.
   */
  #finish(request: Request<any>, resp: StreamResponse, start: number): void | Promise<void> {
    if (!resp.prepared && !(resp instanceof Response) && !request.nodeResponse!.destroyed)
      return this.#finishAsync(request, resp, start);
    try {
      this.#send(request, resp);
    } catch (e) {
      webLogger.error(`Error sending the response to ${request.method} ${request.pathQs}\n${stackOf(e)}`);
      request.nodeResponse!.destroy();
    } finally {
      this.#done(request);
      if (start !== 0) this.#logAccess(request, resp, start);
    }
  }

  async #finishAsync(request: Request<any>, resp: StreamResponse, start: number): Promise<void> {
    try {
      await resp.prepare(request);
      await resp.writeEof();
      this.#discardUnread(request);
    } catch (e) {
      if (isCancelledError(e)) {
        request.nodeResponse!.destroy();
        throw e;
      }
      webLogger.error(`Error sending the response to ${request.method} ${request.pathQs}\n${stackOf(e)}`);
      request.nodeResponse!.destroy();
    } finally {
      this.#done(request);
      if (start !== 0) this.#logAccess(request, resp, start);
    }
  }

  /** Finish the response: headers if not sent yet, then the end (synchronous: no promise per request). */
  #send(request: Request<any>, resp: StreamResponse): void {
    const res = request.nodeResponse!;
    if (res.destroyed) return;
    if (!resp.prepared) {
      if (res.headersSent) throw new Error("the response was sent outside of aiots");
      resp.prepareNow(request);
    }
    resp.endNow();
    this.#discardUnread(request);
  }

  /**
   * A body the handler stopped reading (its reader keeps the request paused): discard the rest, as
   * Node does for a body never read, so that the keep-alive connection can serve the next request.
   */
  #discardUnread(request: Request<any>): void {
    const req = request.raw;
    if (!req.complete && req.listenerCount("data") > 0) {
      req.removeAllListeners("data");
      req.resume();
    }
  }

  #done(request: Request<any>): void {
    this.#inFlight.delete(request);
    if (this.#inFlight.size === 0 && this.#idle !== null && !this.#idle.done()) this.#idle.setResult();
  }

  #logAccess(request: Request<any>, resp: StreamResponse, start: number): void {
    const res = request.nodeResponse!;
    const line = this.#accessFormat!.format({
      remote: request.remote ?? "-",
      start,
      duration: (Date.now() - start) / 1000,
      method: request.method,
      target: request.pathQs,
      httpVersion: request.version,
      status: resp.status,
      bodySize: resp.bodyBytes,
      pid: process.pid,
      requestHeader: (name) => request.headers.get(name),
      responseHeader: (name) => {
        const v = res.getHeader(name);
        if (v !== undefined) return String(v);
        // Headers given to writeHead() (how aiots sends them) are not visible through getHeader().
        const flat = resp.flatHeaders();
        const lower = name.toLowerCase();
        for (let i = 0; i < flat.length; i += 2) if (flat[i]!.toLowerCase() === lower) return flat[i + 1];
        return undefined;
      },
    });
    this.#accessLog!.info(line);
  }

  /**
   * Graceful end, in aiohttp's order (the caller stopped listening first): idle keep-alive
   * connections close now, requests in flight get `timeout` seconds to finish, then their tasks
   * are cancelled and their connections closed.
   */
  async shutdown(timeout: number): Promise<void> {
    this.#closing = true;
    for (const s of this.#servers) s.closeIdleConnections();
    for (const r of this.#inFlight) closeForShutdown(r); // open WebSockets: 1001
    if (this.#inFlight.size > 0) {
      this.#idle = new Future<void>({ loop: this.loop });
      const timer = this.loop.callLater(timeout, () => {
        if (!this.#idle!.done()) this.#idle!.setResult();
      });
      await this.#idle;
      timer.cancel();
    }
    const left = [...this.#inFlight];
    for (const r of left) r.handlerTask?.cancel("server shutdown");
    for (const r of left) {
      try {
        await r.handlerTask;
      } catch {
        // cancelled or failed: already reported
      }
    }
    for (const s of this.#servers) s.closeAllConnections();
  }
}

function stackOf(e: unknown): string {
  // inspect() shows the stack and, unlike `stack`, an ExceptionGroup's errors and the `cause` chain.
  return inspect(e);
}

/** The response an HTTP exception stands for (its headers include its `Content-Type`). */
export function exceptionResponse(e: HTTPException): Response {
  const body = e.emptyBody ? null : e.body;
  return new Response({ status: e.status, reason: e.reason, headers: e.headers, body: body ?? undefined });
}

/** The 500 for an unhandled error: no stack in the body unless the app is in debug mode. */
function errorResponse(app: Application, e: unknown): Response {
  const text = app.debug && e !== null ? `${INTERNAL_ERROR_TEXT}\n\n${stackOf(e)}` : INTERNAL_ERROR_TEXT;
  return new Response({ status: 500, text });
}
