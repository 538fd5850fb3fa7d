/**
 * `TestClient` (aiohttp's `test_utils.TestClient`): a {@link ClientSession} aimed at a
 * {@link TestServer}, taking paths instead of URLs. It keeps the responses it made and releases
 * them (and closes the WebSockets it opened) when it closes, then closes its session and the server.
 */
import { inspect } from "node:util";
import {
  type ClientResponse,
  ClientSession,
  type ClientSessionOptions,
  type ClientWebSocketResponse,
  CookieJar,
  type RequestOptions,
} from "../client/index.js";
import { ArgumentTypeError, type Coroutine, coroutine } from "../index.js";
import { Application } from "../web/index.js";
import { TestServer } from "./web.js";

/** What `ClientSession.wsConnect` takes. */
type WSConnectOptions = NonNullable<Parameters<ClientSession["wsConnect"]>[1]>;

/** Past this many tracked responses, the ones already finished are forgotten. */
const PRUNE_AT = 64;

/**
 * A client for functional tests of an application: requests take paths on the test server
 * (`client.get("/users/1")`), the rest is `ClientSession`'s (options, responses, errors).
 *
 * ```ts
 * await asyncio.run(async () => {
 *   await using client = await new TestClient(app).start();
 *   const res = await client.get("/users/1");
 *   assert.equal(await res.text(), "alice");
 * }); // responses released, session and server closed
 * ```
 *
 * Like the session's, requests are coroutines: they run when awaited, inside a running loop
 * (`asyncio.run`). Differences from aiohttp: it also takes an `Application` (wrapped in a
 * `TestServer`); `start()` resolves with the client itself (aiohttp's `start_server()` plus
 * `async with`); `head()` does not follow redirects unless asked, as `ClientSession.head()`;
 * `port` throws before the server is started (aiohttp: `None`).
 * @see https://docs.aiohttp.org/en/stable/testing.html#aiohttp.test_utils.TestClient
 */
export class TestClient {
  /** The server the requests go to. */
  readonly server: TestServer;
  /**
   * The session behind the client. Its own methods take absolute URLs (`client.makeUrl(path)`);
   * what they return is not tracked by the client.
   */
  readonly session: ClientSession;
  readonly #responses = new Set<ClientResponse>();
  readonly #websockets = new Set<ClientWebSocketResponse>();
  readonly #requestOp: (method: string, path: string, options: RequestOptions) => Coroutine<ClientResponse>;
  #starting: Promise<void> | null = null;
  #closing: Promise<void> | null = null;

  /**
   * @param serverOrApp the server to test (started by `start()` unless already started), or an
   *   application (served by a new `TestServer` on a free port).
   * @param options the session's options; the cookie jar defaults to `new CookieJar({ unsafe: true })`
   *   so that cookies set by `127.0.0.1` are kept.
   */
  constructor(serverOrApp: TestServer | Application, options: ClientSessionOptions = {}) {
    if (serverOrApp instanceof Application) this.server = new TestServer(serverOrApp);
    else if (serverOrApp instanceof TestServer) this.server = serverOrApp;
    else
      throw new ArgumentTypeError(
        `server must be a TestServer or an Application, got ${inspect(serverOrApp, { depth: 0 })}`,
      );
    if (options === null || typeof options !== "object")
      throw new ArgumentTypeError(`TestClient takes session options, got ${inspect(options)}`);
    this.session = new ClientSession({
      ...options,
      cookieJar: options.cookieJar ?? new CookieJar({ unsafe: true }),
    });
    this.#requestOp = coroutine((method: string, path: string, opts: RequestOptions) =>
      this.#request(method, path, opts),
    );
  }

  /** Start the server unless it is started; resolves with the client (`await using c = await new TestClient(app).start()`). */
  async start(): Promise<this> {
    this.#starting ??= serverStarted(this.server)
      ? Promise.resolve()
      : this.server.start().then(
          () => {},
          (e: unknown) => {
            this.#starting = null; // a failed start may be tried again
            throw e;
          },
        );
    await this.#starting;
    return this;
  }

  /** The application served (the server's). */
  get app(): Application {
    return this.server.app;
  }

  /** The server's host. */
  get host(): string {
    return this.server.host;
  }

  /** The server's port (known once started). */
  get port(): number {
    return this.server.port;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closing !== null;
  }

  /** The absolute URL of `path` (which starts with `/`, and may carry a query) on the server. */
  makeUrl(path: string): URL {
    return this.server.makeUrl(path);
  }

  /** A request with any method to `path` on the server (the options are `ClientSession.request`'s). */
  request(method: string, path: string, options: RequestOptions = {}): Coroutine<ClientResponse> {
    return this.#requestOp(method, path, options);
  }
  /** A GET request. */
  get(path: string, options: RequestOptions = {}): Coroutine<ClientResponse> {
    return this.#requestOp("GET", path, options);
  }
  /** A POST request. */
  post(path: string, options: RequestOptions = {}): Coroutine<ClientResponse> {
    return this.#requestOp("POST", path, options);
  }
  /** A PUT request. */
  put(path: string, options: RequestOptions = {}): Coroutine<ClientResponse> {
    return this.#requestOp("PUT", path, options);
  }
  /** A PATCH request. */
  patch(path: string, options: RequestOptions = {}): Coroutine<ClientResponse> {
    return this.#requestOp("PATCH", path, options);
  }
  /** A DELETE request. */
  delete(path: string, options: RequestOptions = {}): Coroutine<ClientResponse> {
    return this.#requestOp("DELETE", path, options);
  }
  /** A HEAD request (redirects are not followed unless `allowRedirects: true`). */
  head(path: string, options: RequestOptions = {}): Coroutine<ClientResponse> {
    return this.#requestOp("HEAD", path, { allowRedirects: false, ...options });
  }
  /** An OPTIONS request. */
  options(path: string, options: RequestOptions = {}): Coroutine<ClientResponse> {
    return this.#requestOp("OPTIONS", path, options);
  }

  /**
   * Open a WebSocket on `path` (the options are `ClientSession.wsConnect`'s); it is closed with the
   * client if still open.
   */
  wsConnect(path: string, options: WSConnectOptions = {}): Coroutine<ClientWebSocketResponse> {
    return this.#wsConnectOp(path, options);
  }

  readonly #wsConnectOp = coroutine(
    async (path: string, options: WSConnectOptions): Promise<ClientWebSocketResponse> => {
      const ws = await this.session.wsConnect(this.makeUrl(path), options);
      for (const w of this.#websockets) if (w.closed) this.#websockets.delete(w);
      this.#websockets.add(ws);
      return ws;
    },
  );

  async #request(method: string, path: string, options: RequestOptions): Promise<ClientResponse> {
    const resp = await this.session.request(method, this.makeUrl(path), options);
    if (this.#responses.size >= PRUNE_AT)
      for (const r of this.#responses) if (r.closed) this.#responses.delete(r);
    this.#responses.add(resp);
    return resp;
  }

  /**
   * Release the responses it made, close the WebSockets it opened, then the session and the server.
   * Idempotent: later calls wait for the first one.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    for (const r of this.#responses) r.release();
    this.#responses.clear();
    const websockets = [...this.#websockets];
    this.#websockets.clear();
    // One that fails to close is dropped anyway: its connection goes with the session.
    await Promise.allSettled(websockets.map((ws) => ws.close()));
    try {
      await this.session.close();
    } finally {
      await this.server.close();
    }
  }

  /** `await using client = …`: closed at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  [inspect.custom](): string {
    const where = serverStarted(this.server) ? ` ${this.server.baseUrl}` : "";
    return `<TestClient${where}${this.closed ? " closed" : ""}>`;
  }
}

function serverStarted(server: TestServer): boolean {
  try {
    server.runner;
    return true;
  } catch {
    return false;
  }
}
