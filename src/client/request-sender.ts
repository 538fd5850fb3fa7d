/**
 * Sending one request of a session: one exchange, with no redirect — a connection slot of the
 * connector's `limit`, the dispatch to undici, the response, the `total` deadline (one timer list
 * per duration, shared by the session's requests), and the trace events of the connection.
 * `ClientSession` decides what to send (headers, cookies, body) and follows redirects; this sends it.
 * @internal
 */
import { Buffer } from "node:buffer";
import type { Dispatcher } from "undici";
import { CancelledError, type EventLoop, logger, RuntimeError } from "../index.js";
import type { ConnectHooks, ConnectionSlots, TCPConnector } from "./connector.js";
import { DeadlineList } from "./deadlines.js";
import { Exchange } from "./exchange.js";
import type { PreparedBody, RequestInfoImpl } from "./request.js";
import type { ClientResponse, FallbackCharsetResolver } from "./response.js";
import type { ClientTimeout } from "./timeout.js";
import type { Trace } from "./tracing.js";

/** @internal What an exchange needs besides its request. */
export interface ExchangeParams {
  timeout: ClientTimeout;
  deadline: number | null;
  trace: Trace | null;
  signal: AbortSignal | undefined;
  proxy: URL | null;
  proxyHeaders: Record<string, string> | null;
  history: readonly ClientResponse[];
  autoDecompress: boolean;
  expect100: boolean;
}

/** @internal Sends a session's requests (see the module doc); one per session. */
export class RequestSender {
  readonly #connector: TCPConnector;
  readonly #fallbackCharset: FallbackCharsetResolver | null;

  constructor(connector: TCPConnector, fallbackCharset: FallbackCharsetResolver | null) {
    this.#connector = connector;
    this.#fallbackCharset = fallbackCharset;
  }

  /** The deadline lists of the `total` timeouts in use, by duration. */
  #deadlineLists = new Map<number, DeadlineList>();
  #deadlines(loop: EventLoop, seconds: number): DeadlineList {
    let list = this.#deadlineLists.get(seconds);
    if (list === undefined || list.loop !== loop) {
      list = new DeadlineList(loop, seconds);
      this.#deadlineLists.set(seconds, list);
    }
    return list;
  }

  /**
   * Start one exchange: a connection slot, the dispatch, the response. Without tracing, a `signal` or a
   * wait for a slot (the common case) it is dispatched at once and returned, for the caller to await
   * its `response` (one async layer less on every request); otherwise the slow path's promise.
   */
  start(
    loop: EventLoop,
    method: string,
    url: URL,
    requestInfo: RequestInfoImpl,
    flat: string[],
    body: PreparedBody,
    o: ExchangeParams,
  ): Exchange | Promise<ClientResponse> {
    const connector = this.#connector;
    if (connector.closed) throw new RuntimeError("Session is closed");
    const { timeout, trace } = o;
    const slots = connector.slots;
    const https = url.protocol === "https:";
    const port = url.port === "" ? (https ? 443 : 80) : Number(url.port);
    const exchange = new Exchange({
      loop,
      requestInfo,
      connectionKey: { host: url.hostname, port, ssl: https },
      viaProxy: o.proxy !== null,
      autoDecompress: o.autoDecompress,
      history: o.history,
      fallbackCharset: this.#fallbackCharset,
      slots,
      onChunk:
        trace?.wants("onResponseChunkReceived") === true
          ? (chunk) => void trace.send("onResponseChunkReceived", { method, url, chunk }).catch(logTraceError)
          : null,
      onChunkSent:
        trace?.wants("onRequestChunkSent") === true
          ? (chunk) => void trace.send("onRequestChunkSent", { method, url, chunk }).catch(logTraceError)
          : null,
    });
    if (o.history.length === 0 && timeout.total !== null)
      this.#deadlines(loop, timeout.total).add(exchange.deadlineEntry());
    else if (o.deadline !== null) exchange.startTotalTimer(Math.max(0, o.deadline - loop.time()));
    exchange.startConnectTimer(timeout.connect);
    if (trace === null && o.signal === undefined && (slots === null || slots.tryTake())) {
      if (slots !== null) exchange.holdSlot();
      this.#dispatch(exchange, method, url, flat, body, o, null);
      return exchange;
    }
    return this.#startSlow(loop, exchange, method, url, requestInfo, flat, body, o);
  }

  /** Hand `exchange` to undici (a synchronous error aborts it). */
  #dispatch(
    exchange: Exchange,
    method: string,
    url: URL,
    flat: string[],
    body: PreparedBody,
    o: ExchangeParams,
    hooks: ConnectHooks | null,
  ): void {
    const connector = this.#connector;
    const timeout = o.timeout;
    const dispatchOpts: Dispatcher.DispatchOptions = {
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method,
      headers: flat,
      body: body.body as Dispatcher.DispatchOptions["body"],
      headersTimeout: timeout.sockRead === null ? 0 : timeout.sockRead * 1000,
      bodyTimeout: timeout.sockRead === null ? 0 : timeout.sockRead * 1000,
      // Keep the connection after a HEAD too (undici closes it by default; aiohttp keeps it), and
      // close it after every response with forceClose.
      reset: connector.forceClose,
    };
    try {
      const dispatcher = o.expect100
        ? connector.expectContinueDispatcher()
        : connector.dispatcher(o.proxy, o.proxyHeaders, timeout.sockConnect);
      connector.dispatch(dispatcher, dispatchOpts, exchange, hooks);
    } catch (e) {
      exchange.abort(e as Error);
    }
  }

  /** The exchange with a wait for a slot, a `signal` or tracing. */
  async #startSlow(
    loop: EventLoop,
    exchange: Exchange,
    method: string,
    url: URL,
    requestInfo: RequestInfoImpl,
    flat: string[],
    body: PreparedBody,
    o: ExchangeParams,
  ): Promise<ClientResponse> {
    const { trace } = o;
    const slots = this.#connector.slots;
    const onAbort =
      o.signal === undefined
        ? null
        : () =>
            exchange.abort(
              o.signal!.reason instanceof Error
                ? o.signal!.reason
                : new CancelledError(String(o.signal!.reason)),
            );
    // Listen before anything is awaited: a signal aborted meanwhile fires no "abort" event later.
    if (onAbort !== null) {
      o.signal!.addEventListener("abort", onAbort, { once: true });
      if (o.signal!.aborted) onAbort();
    }
    if (slots !== null) {
      if (slots.tryTake()) exchange.holdSlot();
      else await this.#waitForSlot(loop, slots, exchange, trace);
    }
    if (exchange.finished) throw exchange.response.exception(); // aborted before it was sent
    const hooks: ConnectHooks | null =
      trace !== null
        ? {
            created: false,
            createStart: () =>
              trace.wants("onConnectionCreateStart") ? trace.send("onConnectionCreateStart", {}) : null,
            createEnd: () =>
              trace.wants("onConnectionCreateEnd") ? trace.send("onConnectionCreateEnd", {}) : null,
          }
        : null;
    this.#dispatch(exchange, method, url, flat, body, o, hooks);
    try {
      // undici connects inside dispatch unless the body's length is unknown (it connects a tick
      // later then): only in the first case does "no connection created" mean one was reused.
      const lengthKnown = body.body === null || typeof body.body === "string" || Buffer.isBuffer(body.body);
      if (
        hooks !== null &&
        trace !== null &&
        !hooks.created &&
        lengthKnown &&
        trace.wants("onConnectionReuseconn")
      )
        await trace.send("onConnectionReuseconn", {});
      if (trace !== null && trace.wants("onRequestHeadersSent")) {
        // Once a connection has the request (after onConnectionCreateEnd), not when dispatched.
        await exchange.whenConnected();
        if (exchange.connected)
          await trace.send("onRequestHeadersSent", { method, url, headers: requestInfo.headers.copy() });
      }
      const response = await exchange.response;
      exchange.responseTaken();
      return response;
    } catch (e) {
      exchange.abort(e as Error);
      if (trace !== null && !(e instanceof CancelledError))
        await trace.send("onRequestException", {
          method,
          url,
          headers: requestInfo.headers.copy(),
          exception: e,
        });
      throw e;
    } finally {
      if (onAbort !== null) o.signal!.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Wait in line for a slot of the connector's `limit` (trace `onConnectionQueuedStart/End`). The
   * exchange may end meanwhile (its connect or total timeout): its error is then thrown.
   */
  async #waitForSlot(
    loop: EventLoop,
    slots: ConnectionSlots,
    exchange: Exchange,
    trace: Trace | null,
  ): Promise<void> {
    if (trace !== null) await trace.send("onConnectionQueuedStart", {});
    const waiter = slots.wait(loop);
    exchange.onAbort(() => waiter.cancel());
    try {
      await waiter;
    } catch (e) {
      // Handed a slot as the wait was cancelled: it is ours, give it back.
      if (waiter.done() && !waiter.cancelled()) slots.give();
      if (exchange.finished && exchange.response.done() && !exchange.response.cancelled())
        throw exchange.response.exception() ?? e;
      exchange.abort(e as Error);
      throw e;
    }
    exchange.holdSlot();
    if (exchange.finished) throw exchange.response.exception();
    if (trace !== null) await trace.send("onConnectionQueuedEnd", {});
  }
}

function logTraceError(e: unknown): void {
  logger.error(`Trace callback failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
}
