// TCPConnector: the behaviour checked by aiohttp's tests/test_connector.py (limits, keep-alive,
// force_close, TLS verification, validation), observed from node:http(s) servers that count
// connections and requests in flight. Tests wait for events (a request arriving, a socket
// closing), never for a duration. Each test names the aiohttp test it follows; "aiots:" titles are
// our own.
import assert from "node:assert/strict";
import http from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { test } from "node:test";
import { inspect } from "node:util";
import {
  ClientConnectionError,
  ClientConnectorCertificateError,
  ClientConnectorError,
  ClientConnectorSSLError,
  ClientSession,
  TCPConnector,
  TraceConfig,
} from "../../src/client/index.js";
import * as asyncio from "../../src/index.js";
import { thrownBy } from "../helpers.js";
import { netServer, selfSignedCert } from "./helpers.js";

// ---- local helpers ----

interface Counting extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  /** Requests in flight now, and the most seen at once. */
  active: number;
  max: number;
  /** Requests received, in order (their paths). */
  readonly paths: string[];
  /** TCP connections accepted. */
  connections: number;
  /** Remote addresses of the connections. */
  readonly remotes: string[];
  /** Resolved when the server sees a client close a connection. */
  nextClose(): Promise<void>;
}

/**
 * A server whose handler is `respond(req, res, done)`; `done()` ends the request's accounting. By
 * default it answers at once with the request's path.
 */
async function counting(
  respond?: (req: http.IncomingMessage, res: http.ServerResponse, done: () => void, srv: Counting) => void,
  tls?: { key: string; cert: string },
): Promise<Counting> {
  let closeWaiters: (() => void)[] = [];
  const srv = {
    active: 0,
    max: 0,
    paths: [] as string[],
    connections: 0,
    remotes: [] as string[],
  } as Partial<Counting> as Counting;
  const handler: http.RequestListener = (req, res) => {
    srv.paths.push(req.url!);
    srv.active++;
    srv.max = Math.max(srv.max, srv.active);
    let ended = false;
    const done = () => {
      if (ended) return;
      ended = true;
      srv.active--;
    };
    if (respond === undefined) {
      done();
      res.end(req.url);
    } else respond(req, res, done, srv);
  };
  const server = tls === undefined ? http.createServer(handler) : https.createServer(tls, handler);
  server.on(tls === undefined ? "connection" : "secureConnection", (s: Socket) => {
    srv.connections++;
    srv.remotes.push(s.remoteAddress ?? "");
    s.on("close", () => {
      const ws = closeWaiters;
      closeWaiters = [];
      for (const w of ws) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(srv, {
    port,
    url: `${tls === undefined ? "http" : "https"}://127.0.0.1:${port}`,
    nextClose: () => new Promise<void>((r) => closeWaiters.push(r)),
    [Symbol.asyncDispose]: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}

/** Requests are held until `n` are pending, then all are answered (proves `n` ran at once). */
function barrier(n: number) {
  let held: (() => void)[] = [];
  return (req: http.IncomingMessage, res: http.ServerResponse, done: () => void): void => {
    held.push(() => {
      done();
      res.end(req.url);
    });
    if (held.length >= n) {
      const all = held;
      held = [];
      for (const f of all) f();
    }
  };
}

/** Each request answered on the next macrotask (long enough for a second request to arrive if one may). */
const later = (req: http.IncomingMessage, res: http.ServerResponse, done: () => void): void => {
  setTimeout(() => {
    done();
    res.end(req.url);
  }, 5);
};

async function fetchText(session: ClientSession, url: string): Promise<string> {
  await using r = await session.get(url);
  return await r.text();
}

const run = <T>(main: () => Promise<T>): Promise<T> => asyncio.run(main);

// ---- construction ----

test("test_limit_property_default / test_limit_per_host_property_default / test_default_force_close", () => {
  const c = new TCPConnector();
  assert.equal(c.limit, 100);
  assert.equal(c.limitPerHost, 0);
  assert.equal(c.forceClose, false);
  assert.equal(c.keepaliveTimeout, 15);
  assert.equal(c.closed, false);
  assert.equal(inspect(c), "TCPConnector(limit=100, limitPerHost=0)");
});

test("test_limit_property / test_limit_per_host_property", () => {
  const c = new TCPConnector({ limit: 15, limitPerHost: 3, keepaliveTimeout: 2.5 });
  assert.equal(c.limit, 15);
  assert.equal(c.limitPerHost, 3);
  assert.equal(c.keepaliveTimeout, 2.5);
});

test("test_close_twice / test_close: close() is idempotent and marks the connector closed", () =>
  run(async () => {
    const c = new TCPConnector();
    await c.close();
    await c.close();
    assert.equal(c.closed, true);
    assert.equal(inspect(c), "TCPConnector(limit=100, limitPerHost=0, closed)");
  }));

test("test_invalid_ssl_param / aiots validation: bad options are ArgumentTypeError or ValueError", () => {
  assert.throws(() => new TCPConnector({ ssl: "yes" as never }), asyncio.ArgumentTypeError);
  assert.throws(() => new TCPConnector(null as never), asyncio.ArgumentTypeError);
  for (const limit of [-1, 1.5, Number.NaN, "2" as never])
    assert.throws(() => new TCPConnector({ limit }), asyncio.ValueError, String(limit));
  assert.throws(() => new TCPConnector({ limitPerHost: -1 }), asyncio.ValueError);
  for (const keepaliveTimeout of [-1, Number.NaN, Number.POSITIVE_INFINITY])
    assert.throws(() => new TCPConnector({ keepaliveTimeout }), asyncio.ValueError, String(keepaliveTimeout));
  assert.throws(() => new TCPConnector({ maxHeaderSize: -5 }), asyncio.ValueError);
});

test("test_force_close_and_explicit_keep_alive: forceClose with a keepaliveTimeout is a ValueError", () => {
  new TCPConnector({ forceClose: true });
  assert.throws(() => new TCPConnector({ forceClose: true, keepaliveTimeout: 30 }), asyncio.ValueError);
});

test("test_async_context_manager: `await using connector` closes it", () =>
  run(async () => {
    let kept: TCPConnector;
    {
      await using c = new TCPConnector();
      assert.equal(c.closed, false);
      kept = c;
    }
    assert.equal(kept.closed, true);
  }));

// ---- limits ----

test("test_connect_with_limit: limit 1 serializes the requests", async () => {
  await using srv = await counting(later);
  await run(async () => {
    await using session = new ClientSession({ connector: new TCPConnector({ limit: 1 }) });
    const out = await asyncio.gather(
      () => fetchText(session, `${srv.url}/a`),
      () => fetchText(session, `${srv.url}/b`),
      () => fetchText(session, `${srv.url}/c`),
    );
    assert.deepEqual(out, ["/a", "/b", "/c"]);
  });
  assert.equal(srv.max, 1);
  assert.deepEqual(srv.paths, ["/a", "/b", "/c"]);
  assert.equal(srv.connections, 1, "each request reuses the connection the previous one freed");
});

test("test_connect_with_limit_concurrent: limit 2 lets exactly two run at once", {
  timeout: 20_000,
}, async () => {
  await using srv = await counting(barrier(2));
  await run(async () => {
    await using session = new ClientSession({ connector: new TCPConnector({ limit: 2 }) });
    const out = await asyncio.gather(
      ...["/1", "/2", "/3", "/4"].map((p) => () => fetchText(session, srv.url + p)),
    );
    assert.deepEqual(out, ["/1", "/2", "/3", "/4"]);
  });
  assert.equal(srv.max, 2);
});

test("test_connect_with_no_limits: limit 0 runs every request at once", { timeout: 20_000 }, async () => {
  await using srv = await counting(barrier(5));
  await run(async () => {
    await using session = new ClientSession({ connector: new TCPConnector({ limit: 0 }) });
    const out = await asyncio.gather(
      ...[1, 2, 3, 4, 5].map((i) => () => fetchText(session, `${srv.url}/${i}`)),
    );
    assert.equal(out.length, 5);
  });
  assert.equal(srv.max, 5);
});

test("test_connect_with_no_limit_and_limit_per_host: limitPerHost 1 serializes one host only", {
  timeout: 20_000,
}, async () => {
  // Each server holds its first request until the other server has one: both hosts run at once.
  let aArrived!: () => void;
  let bArrived!: () => void;
  const aSeen = new Promise<void>((r) => (aArrived = r));
  const bSeen = new Promise<void>((r) => (bArrived = r));
  const pairing =
    (mine: () => void, other: Promise<void>) =>
    (req: http.IncomingMessage, res: http.ServerResponse, done: () => void): void => {
      mine();
      void other.then(() =>
        setTimeout(() => {
          done();
          res.end(req.url);
        }, 2),
      );
    };
  await using a = await counting(pairing(aArrived, bSeen));
  await using b = await counting(pairing(bArrived, aSeen));
  await run(async () => {
    await using session = new ClientSession({ connector: new TCPConnector({ limit: 0, limitPerHost: 1 }) });
    const out = await asyncio.gather(
      () => fetchText(session, `${a.url}/a1`),
      () => fetchText(session, `${a.url}/a2`),
      () => fetchText(session, `${b.url}/b1`),
      () => fetchText(session, `${b.url}/b2`),
    );
    assert.deepEqual(out, ["/a1", "/a2", "/b1", "/b2"]);
  });
  assert.equal(a.max, 1);
  assert.equal(b.max, 1);
  assert.equal(a.connections, 1);
});

test("test_connect_with_limit_cancelled: a request cancelled while queued frees nothing it did not take", async () => {
  let releaseFirst!: () => void;
  const firstHeld = new Promise<void>((r) => (releaseFirst = r));
  await using srv = await counting((req, res, done) => {
    if (req.url === "/first")
      void firstHeld.then(() => {
        done();
        res.end("first");
      });
    else {
      done();
      res.end(req.url);
    }
  });
  await run(async () => {
    const queued = new asyncio.Event();
    const trace = new TraceConfig();
    trace.onConnectionQueuedStart.push(async () => queued.set());
    await using session = new ClientSession({
      connector: new TCPConnector({ limit: 1 }),
      traceConfigs: [trace],
    });
    const first = asyncio.createTask(() => fetchText(session, `${srv.url}/first`));
    while (srv.paths.length === 0) await asyncio.sleep(0.002);
    const second = asyncio.createTask(() => fetchText(session, `${srv.url}/second`));
    await queued.wait();
    second.cancel();
    assert.ok((await thrownBy(second)) instanceof asyncio.CancelledError);
    releaseFirst();
    assert.equal(await first, "first");
    assert.equal(await fetchText(session, `${srv.url}/third`), "/third");
  });
  assert.deepEqual(srv.paths, ["/first", "/third"]);
});

test("test_error_on_connection: a failed connect gives its slot back (limit 1)", async () => {
  await using srv = await counting();
  const dead = await counting();
  const deadUrl = dead.url;
  await dead[Symbol.asyncDispose]();
  await run(async () => {
    await using session = new ClientSession({ connector: new TCPConnector({ limit: 1 }) });
    const e = await thrownBy(session.get(`${deadUrl}/`));
    assert.ok(e instanceof ClientConnectorError, String(e));
    assert.equal((e as ClientConnectorError).port, dead.port);
    assert.equal((e as ClientConnectorError).host, "127.0.0.1");
    assert.equal((e as ClientConnectorError).errno, "ECONNREFUSED");
    assert.equal(await fetchText(session, `${srv.url}/ok`), "/ok");
  });
});

test("test_close_with_acquired_connection: closing the connector fails the request in flight", async () => {
  await using srv = await counting(() => {
    /* never answers */
  });
  await run(async () => {
    const connector = new TCPConnector();
    await using session = new ClientSession({ connector, connectorOwner: false });
    const t = asyncio.createTask(session.get(`${srv.url}/hang`));
    while (srv.paths.length === 0) await asyncio.sleep(0.002);
    await connector.close();
    const e = await thrownBy(t);
    assert.ok(e instanceof ClientConnectionError, String(e));
    assert.equal(session.closed, true);
    const e2 = await thrownBy(session.get(`${srv.url}/after`));
    assert.ok(e2 instanceof asyncio.RuntimeError, String(e2));
  });
});

// ---- keep-alive ----

test("test_keepalive_two_requests_success: sequential requests reuse one connection", async () => {
  await using srv = await counting();
  await run(async () => {
    await using session = new ClientSession();
    for (const p of ["/1", "/2", "/3"]) assert.equal(await fetchText(session, srv.url + p), p);
  });
  assert.equal(srv.connections, 1);
});

test("test_default_force_close / forceClose: a new connection per request", async () => {
  await using srv = await counting();
  await run(async () => {
    await using session = new ClientSession({ connector: new TCPConnector({ forceClose: true }) });
    for (const p of ["/1", "/2", "/3"]) {
      const closed = srv.nextClose();
      assert.equal(await fetchText(session, srv.url + p), p);
      await closed;
    }
  });
  assert.equal(srv.connections, 3);
});

test("test_cleanup: an idle connection is closed after keepaliveTimeout, the next request opens one", async () => {
  await using srv = await counting();
  await run(async () => {
    await using session = new ClientSession({ connector: new TCPConnector({ keepaliveTimeout: 0.05 }) });
    const closed = srv.nextClose();
    assert.equal(await fetchText(session, `${srv.url}/1`), "/1");
    assert.equal(srv.connections, 1);
    await closed; // the client closed the idle connection
    assert.equal(await fetchText(session, `${srv.url}/2`), "/2");
  });
  assert.equal(srv.connections, 2);
});

test("test_tcp_connector_uses_provided_local_addr: localAddr is the source address", async () => {
  await using srv = await counting();
  await run(async () => {
    await using session = new ClientSession({ connector: new TCPConnector({ localAddr: "127.0.0.1" }) });
    assert.equal(await fetchText(session, `${srv.url}/`), "/");
  });
  assert.deepEqual(srv.remotes, ["127.0.0.1"]);
});

// ---- TLS against a self-signed certificate made at test time ----

const { pem: tls, skip: noOpenssl } = selfSignedCert("aiots-client-tls-");

test("test_tcp_connector_certificate_error: a self-signed certificate is refused by default", {
  skip: noOpenssl,
}, async () => {
  await using srv = await counting(undefined, tls);
  await run(async () => {
    await using session = new ClientSession();
    const e = await thrownBy(session.get(`${srv.url}/`));
    assert.ok(e instanceof ClientConnectorCertificateError, String(e));
    assert.ok(e instanceof ClientConnectorSSLError);
    assert.ok(e instanceof ClientConnectorError);
    assert.equal((e as ClientConnectorError).ssl, true);
    assert.equal((e as ClientConnectorError).port, srv.port);
  });
  assert.deepEqual(srv.paths, []);
});

test("test_ssl_client (ssl=False): ssl false skips verification", { skip: noOpenssl }, async () => {
  await using srv = await counting(undefined, tls);
  await run(async () => {
    await using session = new ClientSession({ connector: new TCPConnector({ ssl: false }) });
    assert.equal(await fetchText(session, `${srv.url}/secure`), "/secure");
    assert.equal(await fetchText(session, `${srv.url}/again`), "/again");
  });
  assert.equal(srv.connections, 1);
});

test("test_ssl_client (custom context): TLS options trusting the certificate", {
  skip: noOpenssl,
}, async () => {
  await using srv = await counting(undefined, tls);
  await run(async () => {
    await using session = new ClientSession({ connector: new TCPConnector({ ssl: { ca: tls.cert } }) });
    assert.equal(await fetchText(session, `${srv.url}/ca`), "/ca");
  });
});

// ClientTimeout.sockConnect bounds the TCP + TLS connect (aiohttp's sock_connect), also for a
// request whose connection undici opens after dispatch (a body of unknown length is connected a tick
// later): a peer that accepts but never answers the TLS handshake.
test("sockConnect: a TLS handshake that never completes is a ConnectionTimeoutError, for a streamed body too", async () => {
  const { ConnectionTimeoutError, ClientTimeout } = await import("../../src/client/index.js");
  await using silent = await netServer((s) => s.resume()); // reads the ClientHello, never answers
  await asyncio.run(async () => {
    // total 5 s: undici's own connect limit (10 s) would end it as a total timeout instead.
    await using session = new ClientSession({ timeout: new ClientTimeout({ total: 5, sockConnect: 0.2 }) });
    const url = `https://127.0.0.1:${silent.port}/`;
    const get = await thrownBy(session.get(url));
    assert.ok(get instanceof ConnectionTimeoutError, String(get));
    async function* body(): AsyncGenerator<Uint8Array> {
      yield Buffer.from("streamed");
    }
    const post = await thrownBy(session.post(url, { data: body() }));
    assert.ok(post instanceof ConnectionTimeoutError, String(post));
  });
});
