/**
 * Helpers shared by the client's tests: our own web server on a free port (`serve`), plain
 * `node:http` and `node:net` servers for peers that misbehave (`httpServer`, `netServer`), each
 * counting its connections and seeing them close, and small waiting helpers. Every server is closed
 * by `await using` (or `close()`); guard timers only turn a hang into a failure, they never measure.
 *
 * Exports are kept stable: other client test files import them.
 */
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { TestServer } from "../../src/test-utils/index.js";
import type * as web from "../../src/web/index.js";
import { thrownBy } from "../helpers.js";

export { type Deferred, deferred, eventually, freePort } from "../helpers.js";

/** Start `app` on 127.0.0.1 and a free port (close it with `await using`). */
export async function serve(app: web.Application): Promise<TestServer> {
  return await new TestServer(app).start();
}

/** What every helper server records about its connections. */
export interface ServerStats {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Connections accepted and since closed. */
  readonly closedConnections: number;
  /** Connections open now. */
  readonly openConnections: number;
  /** The sockets accepted, in order. */
  readonly sockets: readonly net.Socket[];
  /** Resolves once `n` connections in all have closed (rejects after `guard` seconds). */
  waitClosed(n?: number, guard?: number): Promise<void>;
  /** Stop listening and destroy every socket still open. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

class Tracker {
  readonly sockets: net.Socket[] = [];
  closed = 0;
  #waiters: { n: number; resolve: () => void }[] = [];

  track(sock: net.Socket): void {
    this.sockets.push(sock);
    sock.on("error", () => {});
    sock.once("close", () => {
      this.closed++;
      this.#waiters = this.#waiters.filter((w) => {
        if (this.closed >= w.n) w.resolve();
        return this.closed < w.n;
      });
    });
  }

  waitClosed(n: number, guard: number): Promise<void> {
    if (this.closed >= n) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${this.closed} of ${n} connections closed (guard)`)),
        guard * 1000,
      );
      this.#waiters.push({
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}

function statsOf(server: net.Server, tracker: Tracker): ServerStats {
  const port = (server.address() as net.AddressInfo).port;
  const close = async (): Promise<void> => {
    if (!server.listening) return;
    const closed = once(server, "close");
    server.close();
    for (const s of tracker.sockets) s.destroy();
    if (server instanceof http.Server) server.closeAllConnections();
    await closed;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get connections() {
      return tracker.sockets.length;
    },
    get closedConnections() {
      return tracker.closed;
    },
    get openConnections() {
      return tracker.sockets.length - tracker.closed;
    },
    get sockets() {
      return tracker.sockets;
    },
    waitClosed: (n = tracker.sockets.length, guard = 10) => tracker.waitClosed(n, guard),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A `node:http` server on 127.0.0.1:0 running `handler`. */
export async function httpServer(
  handler: http.RequestListener,
): Promise<ServerStats & { server: http.Server }> {
  const tracker = new Tracker();
  const server = http.createServer({ keepAliveTimeout: 30_000 }, handler);
  server.on("connection", (s: net.Socket) => tracker.track(s));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return Object.assign(statsOf(server, tracker), { server });
}

/** A raw `node:net` server on 127.0.0.1:0: `onConnection` gets each accepted socket. */
export async function netServer(onConnection: (sock: net.Socket) => void): Promise<ServerStats> {
  const tracker = new Tracker();
  const server = net.createServer((s) => {
    tracker.track(s);
    onConnection(s);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return statsOf(server, tracker);
}

/** What {@link echoServer} answers: the request it received. */
export interface Echoed {
  method: string;
  path: string;
  /** Lower-cased names. */
  headers: Record<string, string>;
  /** `rawHeaders`: names as sent, alternating with values. */
  raw: string[];
  body: string;
}

/** A `node:http` server answering every request with JSON: the {@link Echoed} request it received. */
export function echoServer(): Promise<ServerStats & { server: http.Server }> {
  return httpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          method: req.method,
          path: req.url,
          headers: req.headers,
          raw: req.rawHeaders,
          body: Buffer.concat(chunks).toString("latin1"),
        }),
      );
    });
  });
}

/**
 * A raw server answering each request head (bytes up to the blank line) with `answer(head, sock)`;
 * it reads request heads only (use it for requests without a body).
 */
export async function rawHttpServer(answer: (head: string, sock: net.Socket) => void): Promise<ServerStats> {
  return netServer((sock) => {
    let buf = "";
    sock.on("data", (d: Buffer) => {
      buf += d.toString("latin1");
      for (let end = buf.indexOf("\r\n\r\n"); end >= 0; end = buf.indexOf("\r\n\r\n")) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        answer(head, sock);
      }
    });
  });
}

/** The error `fn` throws (fails when it does not throw). */
export async function errorOf(fn: () => PromiseLike<unknown>): Promise<Error> {
  return (await thrownBy(fn)) as Error;
}

/** A self-signed certificate for `localhost` / 127.0.0.1 and whether tests can use it. */
export interface SelfSignedCert {
  /** PEM key and certificate: empty until the suite's `before` hook has run (and without openssl). */
  readonly pem: { readonly key: string; readonly cert: string };
  /** A node:test `skip` option: `false`, or why there is no certificate (no openssl CLI). */
  readonly skip: false | string;
}

/**
 * A throw-away self-signed certificate made by the openssl CLI in a `before` hook of the calling
 * suite (or file), in a temporary directory named after `prefix` that its `after` hook removes.
 * Read `pem.key` / `pem.cert` inside the tests, not when defining them.
 */
export function selfSignedCert(prefix: string): SelfSignedCert {
  let hasOpenssl = false;
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    hasOpenssl = true;
  } catch {
    hasOpenssl = false;
  }
  const pem = { key: "", cert: "" };
  let dir = "";
  before(() => {
    if (!hasOpenssl) return;
    dir = mkdtempSync(join(tmpdir(), prefix));
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost"],
        ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
        ...["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
      ],
      { stdio: "ignore" },
    );
    pem.key = readFileSync(join(dir, "key.pem"), "utf8");
    pem.cert = readFileSync(join(dir, "cert.pem"), "utf8");
  });
  after(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });
  return { pem, skip: hasOpenssl ? false : "no openssl CLI to make a self-signed certificate" };
}
