// Port of the transport, server and signal-handler parts of CPython's Lib/test/test_asyncio:
// test_events.py (EventLoopTestsMixin: test_create_connection*, test_create_unix_*, test_create_server*,
// test_server_close, test_create_*_ssl*, test_add_signal_handler, test_signal_handling_args, test_close),
// test_base_events.py (create_connection/create_server argument checks), test_unix_events.py
// (SelectorEventLoopSignalTests, SelectorEventLoopUnixSocketTests), test_selector_events.py
// (SelectorSocketTransportTests: write, write_eof, pause/resume, abort, close, fatal errors),
// test_transports.py (write-buffer limits), test_server.py (serve_forever, wait_closed, close_clients,
// abort_clients, start_serving, Unix socket cleanup) and test_ssl.py (handshake timeout).
//
// Real sockets on 127.0.0.1 (port 0) and Unix sockets under os.tmpdir(); TLS uses a self-signed
// certificate made with the openssl CLI in a before() hook. Protocols record their callbacks and
// check CPython's state machine (INITIAL → CONNECTED → EOF → CLOSED); tests assert the order and
// the outcome of events, never durations. waitFor(…, 5) only turns a hang into a failure.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, linkSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { TLSSocket } from "node:tls";
import * as asyncio from "../../src/index.js";
import {
  bothForms,
  captureLogs,
  caught,
  caughtGen,
  freePort,
  NO_ERROR,
  caughtCall as rejected,
  runMain,
} from "../helpers.js";

const HOST = "127.0.0.1";
let seq = 0;

/** A fresh Unix socket path (removed by the test or by the server's close()). */
function sockPath(): string {
  return join(tmpdir(), `aiots-tr-${process.pid}-${++seq}.sock`);
}

/** Await `aw`, failing (TimeoutError) instead of hanging when the awaited event never comes. */
function within<T>(aw: PromiseLike<T> | asyncio.Future<T>, seconds = 5): Promise<T> {
  return asyncio.waitFor(aw, seconds) as unknown as Promise<T>;
}

/** Let real I/O run until `pred()` holds (bounded: fails instead of hanging). */
async function until(pred: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (pred()) return;
    await asyncio.sleep(0.005);
  }
  assert.fail(`never happened: ${what}`);
}

/** The error a synchronous call throws, or NO_ERROR. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return NO_ERROR;
}

interface RecOptions {
  /** What eofReceived() returns. */
  keepOpen?: boolean;
  onMade?: (p: RecProto) => void;
  onData?: (p: RecProto, d: Buffer) => void;
  onEof?: (p: RecProto) => void;
}

/**
 * CPython's MyBaseProto: records every callback (consecutive data chunks as one "data" entry) and
 * the states it went through; a callback in the wrong state is recorded as a violation.
 */
class RecProto extends asyncio.Protocol {
  readonly events: string[] = [];
  readonly violations: string[] = [];
  state: "INITIAL" | "CONNECTED" | "EOF" | "CLOSED" = "INITIAL";
  transport: asyncio.Transport | null = null;
  readonly chunks: Buffer[] = [];
  nbytes = 0;
  readonly connected: asyncio.Future<void>;
  readonly eof: asyncio.Future<void>;
  readonly done: asyncio.Future<Error | null>;
  readonly paused: asyncio.Future<void>;
  readonly resumed: asyncio.Future<void>;

  constructor(readonly opts: RecOptions = {}) {
    super();
    const loop = asyncio.getRunningLoop();
    this.connected = loop.createFuture();
    this.eof = loop.createFuture();
    this.done = loop.createFuture();
    this.paused = loop.createFuture();
    this.resumed = loop.createFuture();
  }

  #expect(event: string, ...states: RecProto["state"][]): void {
    if (!states.includes(this.state)) this.violations.push(`${event} in state ${this.state}`);
  }

  override connectionMade(transport: asyncio.Transport): void {
    this.#expect("connectionMade", "INITIAL");
    this.transport = transport;
    this.state = "CONNECTED";
    this.events.push("made");
    this.connected.setResult();
    this.opts.onMade?.(this);
  }

  override dataReceived(data: Buffer): void {
    this.#expect("dataReceived", "CONNECTED");
    this.chunks.push(data);
    this.nbytes += data.length;
    if (this.events.at(-1) !== "data") this.events.push("data");
    this.opts.onData?.(this, data);
  }

  override eofReceived(): boolean | undefined {
    this.#expect("eofReceived", "CONNECTED");
    this.state = "EOF";
    this.events.push("eof");
    this.eof.setResult();
    this.opts.onEof?.(this);
    return this.opts.keepOpen;
  }

  override connectionLost(exc: Error | null): void {
    this.#expect("connectionLost", "CONNECTED", "EOF");
    this.state = "CLOSED";
    this.events.push(exc === null ? "lost" : `lost:${exc.name}`);
    this.done.setResult(exc);
  }

  override pauseWriting(): void {
    this.events.push("pause");
    if (!this.paused.done()) this.paused.setResult();
  }

  override resumeWriting(): void {
    this.events.push("resume");
    if (!this.resumed.done()) this.resumed.setResult();
  }

  get data(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** CPython's MyProto: sends a request as soon as it is connected. */
const REQUEST = "GET / HTTP/1.0\r\nHost: example.com\r\n\r\n";
function myProto(): RecProto {
  return new RecProto({ onMade: (p) => p.transport!.write(REQUEST) });
}

/** CPython's run_test_server: answer a request, then close. */
function answeringProto(): RecProto {
  return new RecProto({
    onData: (p) => {
      if (p.data.includes("\r\n\r\n") && !p.transport!.isClosing()) {
        p.transport!.write("HTTP/1.0 200 OK\r\n\r\nhello");
        p.transport!.close();
      }
    },
  });
}

/** Close the server, end its connections and the given transports, and wait for all of it. */
async function shutdown(
  server: asyncio.Server | null,
  ...transports: asyncio.BaseTransport[]
): Promise<void> {
  for (const t of transports) (t as asyncio.Transport).abort();
  if (server === null) return;
  server.close();
  server.abortClients();
  await within(server.waitClosed());
}

function portOf(server: asyncio.Server): number {
  return (server.sockets[0]!.getsockname() as [string, number])[1];
}

interface Pair {
  server: asyncio.Server;
  port: number;
  /** Client side. */
  ct: asyncio.Transport;
  cp: RecProto;
  /** Server side. */
  st: asyncio.Transport;
  sp: RecProto;
}

/** A server on 127.0.0.1 and one client connected to it, both with recording protocols. */
async function tcpPair(
  serverOpts: RecOptions = {},
  clientOpts: RecOptions = {},
  tls?: { server: asyncio.ServerOptions["ssl"]; client: asyncio.ConnectionOptions },
): Promise<Pair> {
  const loop = asyncio.getRunningLoop();
  const made = loop.createFuture<RecProto>();
  const server = await loop.createServer(
    () => {
      const p = new RecProto(serverOpts);
      p.connected.addDoneCallback(() => made.done() || made.setResult(p));
      return p;
    },
    HOST,
    0,
    tls ? { ssl: tls.server } : {},
  );
  const port = portOf(server);
  const [ct, cp] = await loop.createConnection(() => new RecProto(clientOpts), HOST, port, tls?.client);
  const sp = await within(made);
  return { server, port, ct, cp, st: sp.transport!, sp };
}

/** A connected plain Node client socket (TCP port or Unix path). */
function rawConnect(target: number | string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = typeof target === "number" ? net.connect(target, HOST) : net.connect(target);
    s.once("error", reject);
    s.once("connect", () => {
      s.off("error", reject);
      resolve(s);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// createConnection / createServer
// ---------------------------------------------------------------------------------------------

describe("createConnection and createServer", () => {
  async function basetestCreateConnection(unix: boolean): Promise<void> {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const path = sockPath();
      const server = unix
        ? await loop.createUnixServer(answeringProto, path)
        : await loop.createServer(answeringProto, HOST, 0);
      try {
        const [tr, pr] = unix
          ? await loop.createUnixConnection(myProto, path)
          : await loop.createConnection(myProto, HOST, portOf(server));
        assert.ok(tr instanceof asyncio.Transport);
        assert.ok(pr instanceof asyncio.Protocol);
        assert.equal(pr.transport, tr);
        assert.notEqual(tr.getExtraInfo("sockname"), null);
        assert.deepEqual(tr.getExtraInfo("peername"), unix ? path : [HOST, portOf(server)]);
        await within(pr.done);
        assert.ok(pr.nbytes > 0);
        assert.match(pr.data.toString(), /^HTTP\/1\.0 200 OK\r\n\r\nhello$/);
        // The server closed after answering: data, then EOF, then a clean connectionLost.
        assert.deepEqual(pr.events, ["made", "data", "eof", "lost"]);
        assert.deepEqual(pr.violations, []);
        tr.close();
      } finally {
        await shutdown(server);
      }
    });
  }

  // test_events.py: EventLoopTestsMixin.test_create_connection
  test("test_create_connection: made → data → eof → lost, extra info", () => basetestCreateConnection(false));

  // test_events.py: EventLoopTestsMixin.test_create_unix_connection
  test("test_create_unix_connection", () => basetestCreateConnection(true));

  // test_events.py: EventLoopTestsMixin.test_create_server
  test("test_create_server: a plain client, sockets[0].getsockname(), extra info", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const proto = new RecProto();
      const server = await loop.createServer(() => proto, "0.0.0.0", 0);
      let client: net.Socket | null = null;
      try {
        assert.equal(server.sockets.length, 1);
        const [host, port] = server.sockets[0]!.getsockname() as [string, number];
        assert.equal(host, "0.0.0.0");
        assert.ok(port > 0);
        assert.equal(server.sockets[0]!.family, "IPv4");
        assert.equal(server.getLoop(), loop);
        assert.ok(server.isServing());
        client = await rawConnect(port);
        client.write("xxx");
        await within(proto.connected);
        assert.equal(proto.state, "CONNECTED");
        await until(() => proto.nbytes >= 3, "3 bytes");
        assert.equal(proto.nbytes, 3);
        const t = proto.transport!;
        assert.deepEqual(t.getExtraInfo("sockname"), [HOST, port]);
        assert.equal((t.getExtraInfo("peername") as [string, number])[0], HOST);
        assert.deepEqual(t.getExtraInfo("peername"), [HOST, client.localPort]);
        t.close();
        assert.equal(await within(proto.done), null);
        assert.equal(proto.state, "CLOSED");
        assert.deepEqual(proto.events, ["made", "data", "lost"]);
        assert.deepEqual(proto.violations, []);
      } finally {
        client?.destroy();
        await shutdown(server);
      }
    });
  });

  // test_events.py: EventLoopTestsMixin.test_create_unix_server
  test("test_create_unix_server: sockname is the path on the accepting side", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const proto = new RecProto();
      const path = sockPath();
      const server = await loop.createUnixServer(() => proto, path);
      let client: net.Socket | null = null;
      try {
        assert.equal(server.sockets.length, 1);
        assert.equal(server.sockets[0]!.getsockname(), path);
        assert.equal(server.sockets[0]!.family, "unix");
        client = await rawConnect(path);
        client.write("xxx");
        await within(proto.connected);
        await until(() => proto.nbytes >= 3, "3 bytes");
        assert.equal(proto.nbytes, 3);
        // The accepting side's own address is the path; the unnamed client's is "" (as getpeername()).
        assert.equal(proto.transport!.getExtraInfo("sockname"), path);
        assert.equal(proto.transport!.getExtraInfo("peername"), "");
        proto.transport!.close();
        await within(proto.done);
        assert.deepEqual(proto.events, ["made", "data", "lost"]);
      } finally {
        client?.destroy();
        await shutdown(server);
      }
      // test_server.py: UnixServerCleanupTests.test_unix_server_addr_cleanup
      assert.equal(existsSync(path), false);
    });
  });

  // test_events.py: EventLoopTestsMixin.test_create_connection_local_addr
  test("test_create_connection_local_addr", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const server = await loop.createServer(() => new RecProto(), HOST, 0);
      try {
        const port = await freePort();
        const [tr] = await loop.createConnection(() => new RecProto(), HOST, portOf(server), {
          localAddr: [HOST, port],
        });
        assert.equal((tr.getExtraInfo("sockname") as [string, number])[1], port);
        tr.close();
      } finally {
        await shutdown(server);
      }
    });
  });

  // test_events.py: EventLoopTestsMixin.test_create_connection_local_addr_in_use
  test("test_create_connection_local_addr_in_use: OSError EADDRINUSE", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const server = await loop.createServer(() => new RecProto(), HOST, 0);
      try {
        const err = await rejected(() =>
          loop.createConnection(() => new RecProto(), HOST, portOf(server), {
            localAddr: [HOST, portOf(server)],
          }),
        );
        assert.ok(err instanceof asyncio.OSError, String(err));
        assert.equal(err.errno, "EADDRINUSE");
        assert.match(err.message, new RegExp(`${HOST}:${portOf(server)}`));
      } finally {
        await shutdown(server);
      }
    });
  });

  // test_events.py: EventLoopTestsMixin.test_create_server_addr_in_use
  test("test_create_server_addr_in_use: OSError EADDRINUSE", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const server = await loop.createServer(() => new RecProto(), HOST, 0);
      try {
        const err = await rejected(() => loop.createServer(() => new RecProto(), HOST, portOf(server)));
        assert.ok(err instanceof asyncio.OSError, String(err));
        assert.equal(err.errno, "EADDRINUSE");
        assert.ok(server.isServing(), "the first server is not disturbed");
      } finally {
        await shutdown(server);
      }
    });
  });

  // test_events.py: EventLoopTestsMixin.test_server_close
  test("test_server_close: a closed server refuses new connections", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const server = await loop.createServer(() => new RecProto(), HOST, 0);
      const port = portOf(server);
      const client = await rawConnect(port);
      client.end("xxx");
      server.close();
      assert.equal(server.isServing(), false);
      assert.deepEqual(server.sockets, []);
      const err = await rejected(() => loop.createConnection(() => new RecProto(), HOST, port));
      assert.ok(err instanceof asyncio.ConnectionRefusedError, String(err));
      assert.equal(err.errno, "ECONNREFUSED");
      client.destroy();
      server.abortClients();
      await within(server.waitClosed());
    });
  });

  // test_base_events.py: BaseEventLoopWithSelectorTests.test_create_connection_connect_err
  // (a real refused port instead of a mocked connect() failure)
  test("a refused port gives ConnectionRefusedError (an OSError/ConnectionError)", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const port = await freePort();
      let made = 0;
      const err = await rejected(() =>
        loop.createConnection(
          () => {
            made++;
            return new RecProto();
          },
          HOST,
          port,
        ),
      );
      assert.ok(err instanceof asyncio.ConnectionRefusedError, String(err));
      assert.ok(err instanceof asyncio.ConnectionError);
      assert.ok(err instanceof asyncio.OSError);
      assert.equal(err.syscall, "connect");
      assert.equal(made, 0, "the protocol factory is not called for a failed connect");
    });
  });

  // test_base_events.py: BaseEventLoopWithSelectorTests.test_create_connection_no_getaddrinfo
  // (a real unresolvable name: socket.gaierror there, GaiError here)
  test("an unknown host gives GaiError", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const err = await rejected(() =>
        loop.createConnection(() => new RecProto(), "nonexistent-host.invalid", 80),
      );
      assert.ok(err instanceof asyncio.GaiError, String(err));
      assert.ok(err instanceof asyncio.OSError);
      assert.ok(!(err instanceof asyncio.ConnectionError));
    });
  });

  // test_base_events.py: port checks of create_connection/create_server (getaddrinfo's errors)
  test("port and host validation: ValueError / ArgumentTypeError", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const f = () => new RecProto();
      for (const port of [-1, 65536, 70000]) {
        assert.ok((await rejected(() => loop.createConnection(f, HOST, port))) instanceof asyncio.ValueError);
        assert.ok((await rejected(() => loop.createServer(f, HOST, port))) instanceof asyncio.ValueError);
      }
      for (const port of [1.5, "http", {}, Number.NaN] as unknown[]) {
        const e1 = await rejected(() => loop.createConnection(f, HOST, port as number));
        assert.ok(e1 instanceof asyncio.ArgumentTypeError, `${String(port)}: ${e1}`);
        assert.ok(e1 instanceof TypeError);
        const e2 = await rejected(() => loop.createServer(f, HOST, port as number));
        assert.ok(e2 instanceof asyncio.ArgumentTypeError, `${String(port)}: ${e2}`);
      }
      // A numeric string is a port number.
      const server = await loop.createServer(f, HOST, "0");
      try {
        const [tr] = await loop.createConnection(f, HOST, String(portOf(server)));
        tr.close();
      } finally {
        await shutdown(server);
      }
      // test_create_connection_ssl_server_hostname_errors: an empty host
      assert.ok(
        (await rejected(() => loop.createConnection(f, "", 80))) instanceof asyncio.ArgumentTypeError,
      );
      assert.ok((await rejected(() => loop.createConnection(null as any, HOST, 80))) instanceof TypeError);
      assert.ok(
        (await rejected(() => loop.createServer(f, HOST, 0, { backlog: -1 }))) instanceof asyncio.ValueError,
      );
    });
  });

  // test_base_events.py: test_create_connection_no_ssl_server_hostname_errors,
  // test_create_connection_ssl_timeout_for_plain_socket
  test("serverHostname / sslHandshakeTimeout without ssl: ValueError", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const f = () => new RecProto();
      for (const serverHostname of ["", "python.org"]) {
        const e = await rejected(() => loop.createConnection(f, HOST, 80, { serverHostname }));
        assert.ok(e instanceof asyncio.ValueError, String(e));
        assert.match(e.message, /only meaningful with ssl/);
      }
      const e = await rejected(() => loop.createConnection(f, HOST, 80, { sslHandshakeTimeout: 1 }));
      assert.ok(e instanceof asyncio.ValueError, String(e));
      assert.match(e.message, /sslHandshakeTimeout is only meaningful with ssl/);
      const u = await rejected(() => loop.createUnixConnection(f, "/dev/null", { serverHostname: "spam" }));
      assert.ok(u instanceof asyncio.ValueError, String(u));
    });
  });

  // test_unix_events.py: SelectorEventLoopUnixSocketTests.test_create_unix_server_existing_path_sock,
  // test_create_unix_server_existing_path_nonsock
  test("createUnixServer replaces a stale socket file but not a regular file", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const f = () => new RecProto();
      // A socket file left behind by a server that is gone: Node removes its own file on close, so
      // keep a second link to the socket's inode.
      const stale = sockPath();
      const live = sockPath();
      const old = net.createServer();
      await new Promise<void>((r) => old.listen(live, r));
      linkSync(live, stale);
      await new Promise<void>((r) => old.close(() => r()));
      assert.ok(existsSync(stale));
      const server = await loop.createUnixServer(f, stale);
      const [tr] = await loop.createUnixConnection(f, stale);
      tr.close();
      await shutdown(server);

      const file = join(tmpdir(), `aiots-tr-${process.pid}-${++seq}.file`);
      writeFileSync(file, "not a socket");
      try {
        const err = await rejected(() => loop.createUnixServer(f, file));
        assert.ok(err instanceof asyncio.OSError, String(err));
        assert.equal(err.errno, "EADDRINUSE");
        assert.equal(readFileSync(file, "utf8"), "not a socket");
      } finally {
        unlinkSync(file);
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Transport behaviour
// ---------------------------------------------------------------------------------------------

describe("SocketTransport", () => {
  // test_events.py: the extra-info checks of test_create_server / _basetest_create_connection
  test("getExtraInfo: peername/sockname mirror each other, socket, unknown names", async () => {
    await runMain(async () => {
      const p = await tcpPair();
      try {
        assert.deepEqual(p.ct.getExtraInfo("peername"), [HOST, p.port]);
        assert.deepEqual(p.st.getExtraInfo("sockname"), [HOST, p.port]);
        assert.deepEqual(p.ct.getExtraInfo("sockname"), p.st.getExtraInfo("peername"));
        assert.ok(p.ct.getExtraInfo("socket") instanceof net.Socket);
        assert.ok(p.st.getExtraInfo("socket") instanceof net.Socket);
        assert.equal(p.ct.getExtraInfo("no-such-thing"), null);
        assert.equal(p.ct.getExtraInfo("no-such-thing", "dflt"), "dflt");
        assert.equal(p.ct.getExtraInfo("peercert", "dflt"), "dflt", "no TLS: no peercert");
        assert.equal(p.ct.getExtraInfo("cipher"), null);
        assert.equal(p.ct.getProtocol(), p.cp);
        assert.ok(p.ct.isReading());
        assert.ok(p.ct.canWriteEof());
      } finally {
        await shutdown(p.server, p.ct);
      }
    });
  });

  // test_selector_events.py: SelectorSocketTransportTests.test_pause_resume_reading
  test("pauseReading: no data while paused, all of it after resumeReading", async () => {
    await runMain(async () => {
      const p = await tcpPair();
      try {
        p.st.pauseReading();
        assert.equal(p.st.isReading(), false);
        p.st.pauseReading(); // idempotent (CPython 3.7+)
        p.ct.write("abc");
        p.ct.write("def");
        // Give the bytes every chance to arrive; none may be delivered while paused.
        await asyncio.sleep(0.05);
        assert.equal(p.sp.nbytes, 0);
        assert.deepEqual(p.sp.events, ["made"]);
        p.st.resumeReading();
        assert.ok(p.st.isReading());
        p.st.resumeReading(); // idempotent
        await until(() => p.sp.nbytes >= 6, "6 bytes");
        assert.equal(p.sp.data.toString(), "abcdef");
        // EOF is held back while paused too.
        p.st.pauseReading();
        p.ct.writeEof();
        await asyncio.sleep(0.05);
        assert.deepEqual(p.sp.events, ["made", "data"]);
        p.st.resumeReading();
        await within(p.sp.done);
        assert.deepEqual(p.sp.events, ["made", "data", "eof", "lost"]);
        assert.deepEqual(p.sp.violations, []);
      } finally {
        await shutdown(p.server, p.ct);
      }
    });
  });

  // test_selector_events.py: SelectorSocketTransportTests.test_write_ready_partial/..._paused
  // (flow control with the kernel's real back-pressure instead of a mocked send())
  test("pauseWriting/resumeWriting driven by a peer that stops reading", async () => {
    await runMain(async () => {
      const p = await tcpPair({ onMade: (sp) => sp.transport!.pauseReading() });
      try {
        const [low, high] = p.ct.getWriteBufferLimits();
        assert.deepEqual([low, high], [16 * 1024, 64 * 1024]);
        const chunk = Buffer.alloc(32 * 1024, 0x61); // below the high-water mark on its own
        let written = 0;
        while (!p.cp.paused.done()) {
          p.ct.write(chunk);
          written += chunk.length;
          await asyncio.sleep(0);
          assert.ok(written < 512 * 1024 * 1024, "the kernel never pushed back");
        }
        // Paused because the kernel stopped accepting, not because of one big write.
        assert.ok(written > 4 * high, `paused after ${written} bytes`);
        assert.ok(p.ct.getWriteBufferSize() > high);
        await asyncio.sleep(0.05);
        assert.deepEqual(p.cp.events, ["made", "pause"], "no resume while the peer does not read");
        // Writes go on being accepted (and buffered) while paused.
        p.ct.write(chunk);
        written += chunk.length;
        p.sp.transport!.resumeReading();
        await within(p.cp.resumed, 10);
        assert.ok(p.ct.getWriteBufferSize() <= low);
        assert.deepEqual(p.cp.events, ["made", "pause", "resume"]);
        await until(() => p.sp.nbytes === written, "every byte at the peer");
        assert.equal(p.sp.nbytes, written);
      } finally {
        await shutdown(p.server, p.ct);
      }
    });
  });

  // test_transports.py: TransportTests.test_flowcontrol_mixin_set_write_limits;
  // test_selector_events.py: SelectorTransportTests.test_set_write_buffer_limits
  test("setWriteBufferLimits: defaults, derived marks, ValueError, getWriteBufferLimits → [low, high]", async () => {
    await runMain(async () => {
      const p = await tcpPair();
      try {
        const t = p.ct;
        t.setWriteBufferLimits(1024);
        assert.deepEqual(t.getWriteBufferLimits(), [256, 1024]);
        t.setWriteBufferLimits(null, 100);
        assert.deepEqual(t.getWriteBufferLimits(), [100, 400]);
        t.setWriteBufferLimits(200, 100);
        assert.deepEqual(t.getWriteBufferLimits(), [100, 200]);
        t.setWriteBufferLimits(0, 0);
        assert.deepEqual(t.getWriteBufferLimits(), [0, 0]);
        t.setWriteBufferLimits();
        assert.deepEqual(t.getWriteBufferLimits(), [16384, 65536]);
        for (const [h, l] of [
          [1, 2],
          [-1, null],
          [null, -1],
          [100, -1],
        ] as [number | null, number | null][]) {
          const e = thrown(() => t.setWriteBufferLimits(h, l));
          assert.ok(e instanceof asyncio.ValueError, `high=${h} low=${l}: ${e}`);
        }
        assert.ok(thrown(() => t.setWriteBufferLimits("1" as any)) instanceof TypeError);
        assert.deepEqual(t.getWriteBufferLimits(), [16384, 65536], "a rejected call changes nothing");
      } finally {
        await shutdown(p.server, p.ct);
      }
    });
  });

  // test_selector_events.py: SelectorSocketTransportTests.test_write / test_write_buffer
  // (+ test_transports.py: flow control with high=0)
  test("getWriteBufferSize; high=0 pauses on the first byte and resumes once flushed", async () => {
    await runMain(async () => {
      const p = await tcpPair();
      try {
        const t = p.ct;
        assert.equal(t.getWriteBufferSize(), 0);
        t.write("abc");
        t.write(new Uint8Array([100, 101]));
        assert.equal(t.getWriteBufferSize(), 5, "buffered until the flush");
        await until(() => t.getWriteBufferSize() === 0, "flush");
        await until(() => p.sp.nbytes === 5, "5 bytes");
        assert.equal(p.sp.data.toString(), "abcde");
        assert.deepEqual(p.cp.events, ["made"]);
        t.setWriteBufferLimits(0);
        assert.deepEqual(p.cp.events, ["made"], "an empty buffer is not above high=0");
        t.write("x");
        assert.deepEqual(p.cp.events, ["made", "pause"], "pauseWriting is called from write()");
        await within(p.cp.resumed);
        assert.deepEqual(p.cp.events, ["made", "pause", "resume"]);
        assert.equal(t.getWriteBufferSize(), 0);
      } finally {
        await shutdown(p.server, p.ct);
      }
    });
  });

  // test_events.py: half-close as in test_streams/_test_write_eof; test_selector_events.py:
  // SelectorSocketTransportTests.test_write_eof, test_read_ready_eof_keep_open (eof_received → True)
  test("writeEof + eofReceived() → true: the peer can still answer on the half-open connection", async () => {
    await runMain(async () => {
      const p = await tcpPair({
        keepOpen: true,
        onEof: (sp) => {
          sp.transport!.write(`pong:${sp.data.toString()}`);
          sp.transport!.close();
        },
      });
      try {
        p.ct.write("ping");
        p.ct.writeEof();
        assert.equal(p.ct.isClosing(), false, "a half-closed transport is not closing");
        p.ct.writeEof(); // a second call does nothing
        await within(p.cp.done);
        assert.equal(p.cp.data.toString(), "pong:ping");
        assert.deepEqual(p.sp.events, ["made", "data", "eof", "lost"]);
        assert.deepEqual(p.cp.events, ["made", "data", "eof", "lost"]);
        await within(p.sp.done);
        assert.equal(p.sp.done.result(), null);
        assert.deepEqual(p.sp.violations, []);
        assert.deepEqual(p.cp.violations, []);
      } finally {
        await shutdown(p.server, p.ct);
      }
    });
  });

  // test_selector_events.py: SelectorSocketTransportTests.test_read_eof_received_error /
  // test_read_ready_eof (eof_received returns a false value → the transport closes)
  test("eofReceived() returning a false value closes the transport", async () => {
    await runMain(async () => {
      let closingInEof: boolean | null = null;
      const p = await tcpPair({ onEof: (sp) => (closingInEof = sp.transport!.isClosing()) });
      try {
        p.ct.write("data");
        p.ct.writeEof();
        assert.equal(await within(p.sp.done), null);
        assert.equal(closingInEof, false, "not closing before eofReceived returned");
        assert.ok(p.st.isClosing());
        assert.equal(p.st.isReading(), false);
        assert.deepEqual(p.sp.events, ["made", "data", "eof", "lost"]);
        // The client sees the server's side close: EOF, then its own transport closes too.
        assert.equal(await within(p.cp.done), null);
        assert.deepEqual(p.cp.events, ["made", "eof", "lost"]);
      } finally {
        await shutdown(p.server, p.ct);
      }
    });
  });

  // test_selector_events.py: SelectorSocketTransportTests.test_abort / SelectorTransportTests.test_abort
  test("abort() drops buffered data; connectionLost(null)", async () => {
    await runMain(async () => {
      const p = await tcpPair();
      try {
        const payload = Buffer.alloc(1024 * 1024, 0x62);
        p.ct.write(payload);
        assert.equal(p.ct.getWriteBufferSize(), payload.length);
        p.ct.abort();
        assert.ok(p.ct.isClosing());
        assert.equal(p.ct.getWriteBufferSize(), 0);
        assert.equal(await within(p.cp.done), null);
        // write() of more than the high-water mark paused the protocol; no resume after abort.
        assert.deepEqual(p.cp.events, ["made", "pause", "lost"]);
        await within(p.sp.done);
        assert.ok(p.sp.nbytes < payload.length, `${p.sp.nbytes} bytes arrived`);
        p.ct.abort(); // again: nothing
        p.ct.close();
        assert.deepEqual(p.cp.events, ["made", "pause", "lost"]);
      } finally {
        await shutdown(p.server, p.ct);
      }
    });
  });

  // test_selector_events.py: SelectorTransportTests.test_close / test_close_write_buffer
  test("close() flushes buffered data first, then EOF, then connectionLost(null)", async () => {
    await runMain(async () => {
      const p = await tcpPair();
      try {
        const payload = Buffer.alloc(4 * 1024 * 1024, 0x63);
        p.ct.write(payload);
        p.ct.write("END");
        assert.equal(p.ct.isClosing(), false);
        p.ct.close();
        assert.ok(p.ct.isClosing());
        assert.equal(p.ct.isReading(), false);
        p.ct.close(); // idempotent
        assert.equal(await within(p.cp.done), null);
        // As CPython's _write_ready: the buffer drains (resumeWriting), then connectionLost.
        assert.deepEqual(p.cp.events, ["made", "pause", "resume", "lost"]);
        await within(p.sp.done);
        assert.equal(p.sp.nbytes, payload.length + 3);
        assert.equal(p.sp.data.subarray(-3).toString(), "END");
        assert.deepEqual(p.sp.events, ["made", "data", "eof", "lost"]);
      } finally {
        await shutdown(p.server, p.ct);
      }
    });
  });

  // test_selector_events.py: SelectorSocketTransportTests.test_write_str / test_write_no_data /
  // test_write_closing / test_write_eof; deviation: writing after close()/writeEof() throws here
  // (CPython logs a warning after close and raises RuntimeError after write_eof).
  test("write argument checks; write after close/writeEof → RuntimeError; empty writes", async () => {
    await runMain(async () => {
      const p = await tcpPair();
      try {
        for (const bad of [42, null, undefined, {}, [1, 2]]) {
          const e = thrown(() => p.ct.write(bad as any));
          assert.ok(e instanceof asyncio.ArgumentTypeError, `${String(bad)}: ${e}`);
        }
        assert.ok(thrown(() => p.ct.writelines(42 as any)) instanceof asyncio.ArgumentTypeError);
        p.ct.write("");
        p.ct.write(new Uint8Array(0));
        assert.equal(p.ct.getWriteBufferSize(), 0);
        p.ct.writelines(["a", Buffer.from("b"), new Uint8Array([99])]);
        p.ct.write(new Uint8Array([100, 101, 102]).subarray(0, 2));
        await until(() => p.sp.nbytes >= 5, "5 bytes");
        p.ct.writeEof();
        const e1 = thrown(() => p.ct.write("late"));
        assert.ok(e1 instanceof asyncio.RuntimeError, String(e1));
        await within(p.sp.eof);
        assert.equal(p.sp.data.toString("latin1"), "abcde");
        p.ct.close();
        const e2 = thrown(() => p.ct.write("later"));
        assert.ok(e2 instanceof asyncio.RuntimeError, String(e2));
      } finally {
        await shutdown(p.server, p.ct);
      }
    });
  });

  // test_selector_events.py: SelectorSocketTransportTests.test_write_closing / test_write_exception
  // (writes after the connection was lost are dropped; a warning after the fifth)
  test("writes after the peer went away are dropped silently, then warned about", async () => {
    await runMain(async () => {
      const p = await tcpPair();
      try {
        p.st.abort();
        const exc = await within(p.cp.done);
        assert.ok(exc === null || exc instanceof asyncio.ConnectionResetError, String(exc));
        assert.ok(p.ct.isClosing());
        const { logs } = await captureLogs(async () => {
          for (let i = 0; i < 3; i++) p.ct.write("x");
        });
        assert.deepEqual(logs, []);
        const more = await captureLogs(async () => {
          for (let i = 0; i < 5; i++) p.ct.write("x");
        });
        assert.ok(
          more.logs.some((l) => /socket\.send\(\) raised exception/.test(l)),
          more.logs.join("\n"),
        );
      } finally {
        await shutdown(p.server, p.ct);
      }
    });
  });

  // test_selector_events.py: SelectorSocketTransportTests.test_read_ready_err / test_fatal_error
  // (a protocol that raises: the loop's exception handler, then the transport is closed)
  test("an exception in dataReceived goes to the exception handler and closes the transport", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const contexts: asyncio.ExceptionContext[] = [];
      loop.setExceptionHandler((_l, ctx) => contexts.push(ctx));
      const boom = new Error("boom");
      const p = await tcpPair({
        onData: () => {
          throw boom;
        },
      });
      try {
        p.ct.write("hello");
        const exc = await within(p.sp.done);
        assert.equal(exc, boom, "connectionLost gets the protocol's exception");
        assert.equal(contexts.length, 1);
        assert.match(contexts[0]!.message, /protocol\.dataReceived\(\) call failed/);
        assert.equal(contexts[0]!.exception, boom);
        assert.equal(contexts[0]!.transport, p.st);
        assert.equal(contexts[0]!.protocol, p.sp);
        assert.ok(p.st.isClosing());
        assert.deepEqual(p.sp.events, ["made", "data", "lost:Error"]);
        // The peer sees the connection go away.
        await within(p.cp.done);
        assert.ok(p.server.isServing(), "the server goes on");
      } finally {
        loop.setExceptionHandler(null);
        await shutdown(p.server, p.ct);
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

describe("Server", () => {
  // test_server.py: BaseStartServer.test_start_server_1 (+ SelectorStartServerTests), with a protocol
  // cancelling serveForever() from its connection; both coroutine forms.
  function serveForeverCancelled(form: "async" | "gen"): () => Promise<void> {
    return () =>
      runMain(async () => {
        const loop = asyncio.getRunningLoop();
        let mainTask: asyncio.Task<unknown> | null = null;
        const srv = await loop.createServer(
          () =>
            new RecProto({
              onData: (p) => {
                if (!p.data.includes("\n")) return;
                mainTask!.cancel();
                p.transport!.write("1");
                p.transport!.close();
              },
            }),
          HOST,
          0,
          { startServing: false },
        );
        assert.equal(srv.isServing(), false);
        const log: string[] = [];
        mainTask =
          form === "async"
            ? asyncio.createTask(async () => {
                await using s = srv;
                log.push("serving");
                await s.serveForever();
              })
            : asyncio.createTask(
                asyncio.coroutine(function* () {
                  try {
                    log.push("serving");
                    yield* srv.serveForever();
                  } finally {
                    srv.close();
                    yield* srv.waitClosed();
                  }
                }),
              );
        const port = portOf(srv);
        const client = await rawConnect(port);
        try {
          const reply = new Promise<string>((resolve) => {
            let got = "";
            client.on("data", (d) => (got += d.toString()));
            client.on("close", () => resolve(got));
          });
          client.write(`${"1".repeat(5 * 1024)}\n`);
          const err = await within(caught(mainTask));
          assert.ok(err instanceof asyncio.CancelledError, String(err));
          assert.equal(await reply, "1");
          assert.deepEqual(log, ["serving"]);
          assert.deepEqual(srv.sockets, []);
          assert.equal(srv.isServing(), false);
          const again = await caught(srv.serveForever());
          assert.ok(again instanceof asyncio.RuntimeError, String(again));
          assert.match(again.message, /is closed/);
          const refused = await rejected(() => loop.createConnection(() => new RecProto(), HOST, port));
          assert.ok(refused instanceof asyncio.ConnectionRefusedError, String(refused));
        } finally {
          client.destroy();
          await shutdown(srv);
        }
      });
  }
  bothForms("test_start_server_1: cancelling serveForever() closes the server", {
    async: serveForeverCancelled("async"),
    gen: serveForeverCancelled("gen"),
  });

  // test_server.py: serve_forever on a server already serving forever (base_events.Server.serve_forever)
  test("serveForever() twice → RuntimeError; close() ends the first one", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const srv = await loop.createServer(() => new RecProto(), HOST, 0);
      const first = asyncio.createTask(() => srv.serveForever());
      await asyncio.sleep(0);
      const second = await caught(srv.serveForever());
      assert.ok(second instanceof asyncio.RuntimeError, String(second));
      assert.match(second.message, /already being awaited/);
      assert.equal(first.done(), false);
      srv.close();
      const err = await within(caught(first));
      assert.ok(err instanceof asyncio.CancelledError, String(err));
      await within(srv.waitClosed());
    });
  });

  // test_server.py: SelectorStartServerTests.test_start_unix_server_1 (start_serving=False, then
  // start_serving()); a connection made before that is held and served afterwards
  test("startServing: false, then startServing()", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const path = sockPath();
      const protos: RecProto[] = [];
      const srv = await loop.createUnixServer(
        () => {
          const p = new RecProto({ onData: (sp, d) => sp.transport!.write(d) });
          protos.push(p);
          return p;
        },
        path,
        { startServing: false },
      );
      let client: net.Socket | null = null;
      try {
        assert.equal(srv.isServing(), false);
        client = await rawConnect(path);
        client.write("early");
        await asyncio.sleep(0.05);
        assert.equal(protos.length, 0, "no protocol before startServing()");
        await srv.startServing();
        assert.ok(srv.isServing());
        await srv.startServing(); // again: nothing
        await until(() => protos.length === 1 && protos[0]!.nbytes === 5, "the held connection served");
        const echoed = await new Promise<string>((resolve) =>
          client!.once("data", (d) => resolve(d.toString())),
        );
        assert.equal(echoed, "early");
      } finally {
        client?.destroy();
        await shutdown(srv);
      }
    });
  });

  // test_server.py: TestServer2.test_wait_closed_basic
  test("test_wait_closed_basic: waitClosed waits for close() and for live connections", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const srv = await loop.createServer(() => new RecProto(), HOST, 0);
      const task1 = asyncio.createTask(() => srv.waitClosed());
      await asyncio.sleep(0);
      assert.equal(task1.done(), false, "not closed: blocks");
      const [tr, pr] = await loop.createConnection(() => new RecProto(), HOST, portOf(srv));
      const task2 = asyncio.createTask(() => srv.waitClosed());
      await asyncio.sleep(0);
      assert.equal(task1.done() || task2.done(), false, "one connection, not closed: blocks");
      srv.close();
      await asyncio.sleep(0);
      const task3 = asyncio.createTask(() => srv.waitClosed());
      await asyncio.sleep(0.02);
      assert.equal(task1.done() || task2.done() || task3.done(), false, "closed, one connection: blocks");
      tr.close();
      await within(pr.done);
      await within(asyncio.gather(task1, task2, task3));
      await srv.waitClosed(); // returns at once now
    });
  });

  // test_server.py: TestServer2.test_wait_closed_race
  test("test_wait_closed_race", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const srv = await loop.createServer(() => new RecProto(), HOST, 0);
      const task = asyncio.createTask(() => srv.waitClosed());
      await asyncio.sleep(0);
      assert.equal(task.done(), false);
      const [tr] = await loop.createConnection(() => new RecProto(), HOST, portOf(srv));
      loop.callSoon(() => srv.close());
      loop.callSoon(() => tr.close());
      await within(srv.waitClosed());
      await within(task);
    });
  });

  // test_server.py: TestServer2.test_close_clients
  test("test_close_clients: closeClients() ends the accepted connections", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const served: RecProto[] = [];
      const srv = await loop.createServer(
        () => {
          const p = new RecProto();
          served.push(p);
          return p;
        },
        HOST,
        0,
      );
      const [tr, pr] = await loop.createConnection(() => new RecProto(), HOST, portOf(srv));
      try {
        await until(() => served.length === 1 && served[0]!.state === "CONNECTED", "accepted");
        const task = asyncio.createTask(() => srv.waitClosed());
        await asyncio.sleep(0);
        assert.equal(task.done(), false);
        served[0]!.transport!.write("bye");
        srv.close();
        srv.closeClients();
        await within(task);
        assert.deepEqual(served[0]!.events, ["made", "lost"]);
        // close() flushed first: the client got the data, then EOF.
        await within(pr.done);
        assert.equal(pr.data.toString(), "bye");
        assert.deepEqual(pr.events, ["made", "data", "eof", "lost"]);
      } finally {
        tr.abort();
        await shutdown(srv);
      }
    });
  });

  // test_server.py: TestServer2.test_abort_clients (a server connection with a full write buffer)
  test("test_abort_clients: abortClients() ends connections that cannot flush", async () => {
    await runMain(async () => {
      const p = await tcpPair({}, { onMade: (cp) => cp.transport!.pauseReading() });
      try {
        // Fill the server side's write buffer: the client does not read.
        const chunk = Buffer.alloc(256 * 1024);
        for (let i = 0; i < 400 && p.st.getWriteBufferSize() === 0; i++) {
          p.st.write(chunk);
          await asyncio.sleep(0);
        }
        assert.notEqual(p.st.getWriteBufferSize(), 0);
        const task = asyncio.createTask(() => p.server.waitClosed());
        await asyncio.sleep(0);
        assert.equal(task.done(), false);
        p.server.close();
        p.server.abortClients();
        await within(task);
        assert.equal(p.st.getWriteBufferSize(), 0);
        assert.equal(p.sp.events.at(-1), "lost", "abort: connectionLost(null)");
        assert.equal(p.sp.state, "CLOSED");
      } finally {
        await shutdown(p.server, p.ct);
      }
    });
  });

  // `async with server` in test_server.py's main(): `await using` closes and waits
  test("await using a server closes it and waits for its connections", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      let srvRef: asyncio.Server | null = null;
      const served: RecProto[] = [];
      let port = 0;
      {
        await using srv = await loop.createServer(
          () => {
            const p = new RecProto({ onData: (sp) => sp.transport!.close() });
            served.push(p);
            return p;
          },
          HOST,
          0,
        );
        srvRef = srv;
        port = portOf(srv);
        const [tr, cp] = await loop.createConnection(() => new RecProto(), HOST, port);
        tr.write("x");
        await within(cp.done);
      }
      assert.equal(srvRef.isServing(), false);
      assert.deepEqual(srvRef.sockets, []);
      assert.deepEqual(
        served.map((p) => p.state),
        ["CLOSED"],
      );
      const err = await rejected(() => loop.createConnection(() => new RecProto(), HOST, port));
      assert.ok(err instanceof asyncio.ConnectionRefusedError, String(err));
    });
  });

  // test_events.py / test_server.py: a server keeps serving when clients vanish without closing
  // (destroyed sockets, TCP resets) — the per-connection errors stay per connection.
  test("a server survives clients that vanish abruptly and keeps serving", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const contexts: asyncio.ExceptionContext[] = [];
      loop.setExceptionHandler((_l, ctx) => contexts.push(ctx));
      const served: RecProto[] = [];
      const srv = await loop.createServer(
        () => {
          const p = new RecProto({ onData: (sp, d) => sp.transport!.write(d) });
          served.push(p);
          return p;
        },
        HOST,
        0,
      );
      try {
        const port = portOf(srv);
        // 1. reset (RST) right after sending
        const a = await rawConnect(port);
        a.write("a");
        await until(() => served.length === 1 && served[0]!.nbytes === 1, "first byte");
        a.resetAndDestroy();
        // 2. destroyed without reading what the server sends back
        const b = await rawConnect(port);
        b.write("b".repeat(100_000));
        b.destroy();
        // 3. connected and dropped before sending anything
        const c = await rawConnect(port);
        c.resetAndDestroy();
        await until(() => served.length === 3 && served.every((s) => s.state === "CLOSED"), "three gone");
        const lost = served.map((s) => s.events.at(-1));
        assert.ok(
          lost.every(
            (e) => e === "lost" || e === "lost:ConnectionResetError" || e === "lost:BrokenPipeError",
          ),
          lost.join(","),
        );
        assert.equal(served[0]!.events.at(-1), "lost:ConnectionResetError");
        // The server still serves.
        assert.ok(srv.isServing());
        const [tr, pr] = await loop.createConnection(() => new RecProto(), HOST, port);
        tr.write("still here");
        await until(() => pr.nbytes === 10, "echo");
        assert.equal(pr.data.toString(), "still here");
        tr.close();
        assert.deepEqual(contexts, [], "connection errors are not reported to the loop");
      } finally {
        loop.setExceptionHandler(null);
        await shutdown(srv);
      }
    });
  });

  // test_base_events.py: a failing protocol factory (_accept_connection2's error path)
  test("a protocol factory that throws: exception handler, connection dropped, server goes on", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const contexts: asyncio.ExceptionContext[] = [];
      loop.setExceptionHandler((_l, ctx) => contexts.push(ctx));
      let calls = 0;
      const boom = new Error("factory failed");
      const srv = await loop.createServer(
        () => {
          if (++calls === 1) throw boom;
          return new RecProto({ onData: (p, d) => p.transport!.write(d) });
        },
        HOST,
        0,
      );
      try {
        const first = await rawConnect(portOf(srv));
        await new Promise<void>((r) => first.once("close", () => r()).resume());
        assert.equal(contexts.length, 1);
        assert.equal(contexts[0]!.exception, boom);
        assert.equal(contexts[0]!.server, srv);
        const [tr, pr] = await loop.createConnection(() => new RecProto(), HOST, portOf(srv));
        tr.write("ok");
        await until(() => pr.nbytes === 2, "echo");
        tr.close();
      } finally {
        loop.setExceptionHandler(null);
        await shutdown(srv);
      }
    });
  });

  // test_server.py: UnixServerCleanupTests.test_unix_server_cleanup_gone / _replaced
  test("Unix server cleanup: a file already gone, or replaced by someone else's socket", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const f = () => new RecProto();
      const gone = sockPath();
      const s1 = await loop.createUnixServer(f, gone);
      unlinkSync(gone);
      s1.close(); // no error
      await within(s1.waitClosed());

      const replaced = sockPath();
      const s2 = await loop.createUnixServer(f, replaced);
      unlinkSync(replaced);
      const other = net.createServer();
      await new Promise<void>((r) => other.listen(replaced, r));
      try {
        s2.close();
        await within(s2.waitClosed());
        assert.ok(existsSync(replaced), "someone else's socket file is left alone");
        const c = await rawConnect(replaced);
        c.destroy();
      } finally {
        await new Promise<void>((r) => other.close(() => r()));
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------
// TLS
// ---------------------------------------------------------------------------------------------

describe("TLS", () => {
  let dir = "";
  let cert = "";
  let key = "";
  let otherCert = "";

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "aiots-tls-"));
    const make = (name: string, subj: string, san: string | null): void => {
      const args = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", subj, "-days", "1"];
      if (san !== null) args.push("-addext", `subjectAltName=${san}`);
      args.push("-keyout", join(dir, `${name}.key`), "-out", join(dir, `${name}.pem`));
      execFileSync("openssl", args, { stdio: "ignore" });
    };
    make("localhost", "/CN=localhost", "DNS:localhost,IP:127.0.0.1");
    make("other", "/CN=other", null);
    cert = readFileSync(join(dir, "localhost.pem"), "utf8");
    key = readFileSync(join(dir, "localhost.key"), "utf8");
    otherCert = readFileSync(join(dir, "other.pem"), "utf8");
  });

  after(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  /** CPython's check_ssl_extra_info, in Node's terms. */
  function checkSslExtraInfo(client: asyncio.Transport, peername: unknown): void {
    assert.notEqual(client.getExtraInfo("sockname"), null);
    assert.deepEqual(client.getExtraInfo("peername"), peername);
    const peercert = client.getExtraInfo("peercert") as { subject: { CN: string }; subjectaltname: string };
    assert.equal(peercert.subject.CN, "localhost");
    assert.match(peercert.subjectaltname, /DNS:localhost/);
    // Deviation: Node's cipher description {name, standardName, version}, not a (name, version, bits) tuple.
    const cipher = client.getExtraInfo("cipher") as { name: string; version: string };
    assert.equal(typeof cipher.name, "string");
    assert.match(cipher.version, /^TLSv1\.[23]$/);
    const sslobj = client.getExtraInfo("ssl_object") as TLSSocket;
    assert.ok(sslobj !== null && sslobj.encrypted === true);
    assert.deepEqual(sslobj.getCipher(), cipher);
    assert.equal(client.getExtraInfo("compression"), null);
  }

  // test_events.py: EventLoopTestsMixin.test_create_server_ssl_verified (+ test_create_server_ssl)
  test("test_create_server_ssl_verified: data, extra info, close; canWriteEof false", async () => {
    await runMain(async () => {
      const p = await tcpPair(
        {},
        {},
        { server: { cert, key }, client: { ssl: { ca: cert }, serverHostname: "localhost" } },
      );
      try {
        p.ct.write("xxx");
        await until(() => p.sp.nbytes >= 3, "3 bytes");
        assert.equal(p.sp.nbytes, 3);
        checkSslExtraInfo(p.ct, [HOST, p.port]);
        assert.equal(p.st.getExtraInfo("peercert"), null, "the client sent no certificate");
        assert.equal(p.ct.canWriteEof(), false);
        assert.equal(p.st.canWriteEof(), false);
        const e = thrown(() => p.ct.writeEof());
        assert.ok(e instanceof asyncio.RuntimeError, String(e));
        assert.match(String(p.ct), /tls/);
        p.st.close();
        assert.equal(await within(p.sp.done), null);
        assert.deepEqual(p.sp.events, ["made", "data", "lost"]);
        await within(p.cp.done);
        assert.deepEqual(p.cp.events, ["made", "eof", "lost"]);
      } finally {
        await shutdown(p.server, p.ct);
      }
    });
  });

  // test_base_events.py: test_create_connection_ssl_server_hostname_default (the host is checked
  // when serverHostname is not given: here an IP address in the certificate's subjectAltName)
  test("TLS without serverHostname checks the host (IP SAN); client close → server EOF", async () => {
    await runMain(async () => {
      const p = await tcpPair({}, {}, { server: { cert, key }, client: { ssl: { ca: cert } } });
      try {
        p.ct.write("hello");
        p.ct.close();
        await within(p.sp.done);
        assert.equal(p.sp.data.toString(), "hello");
        assert.deepEqual(p.sp.events, ["made", "data", "eof", "lost"]);
        assert.equal(await within(p.cp.done), null);
      } finally {
        await shutdown(p.server, p.ct);
      }
    });
  });

  // test_events.py: EventLoopTestsMixin.test_create_unix_server_ssl_verified (+ test_create_unix_server_ssl)
  test("test_create_unix_server_ssl_verified", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const proto = new RecProto();
      const path = sockPath();
      const server = await loop.createUnixServer(() => proto, path, { ssl: { cert, key } });
      try {
        const [client, cp] = await loop.createUnixConnection(() => new RecProto(), path, {
          ssl: { ca: cert },
          serverHostname: "localhost",
        });
        client.write("xxx");
        await within(proto.connected);
        await until(() => proto.nbytes >= 3, "3 bytes");
        assert.equal(client.getExtraInfo("peername"), path);
        assert.equal((client.getExtraInfo("peercert") as any).subject.CN, "localhost");
        proto.transport!.close();
        client.close();
        await within(proto.done);
        await within(cp.done);
      } finally {
        await shutdown(server);
      }
    });
  });

  // test_events.py: test_create_server_ssl_verify_failed (no CA), test_create_server_ssl_match_failed
  // (wrong host name) and a wrong CA. CPython raises ssl.SSLCertVerificationError / CertificateError
  // (OSError subclasses); here a plain OSError whose errno is Node's verification code.
  test("certificate verification failures: OSError with Node's code; no server connection", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const contexts: asyncio.ExceptionContext[] = [];
      loop.setExceptionHandler((_l, ctx) => contexts.push(ctx));
      let made = 0;
      const server = await loop.createServer(
        () => {
          made++;
          return new RecProto();
        },
        HOST,
        0,
        { ssl: { cert, key } },
      );
      try {
        const port = portOf(server);
        const cases: [asyncio.ConnectionOptions, string][] = [
          [{ ssl: true, serverHostname: "localhost" }, "DEPTH_ZERO_SELF_SIGNED_CERT"],
          [{ ssl: { ca: otherCert }, serverHostname: "localhost" }, "DEPTH_ZERO_SELF_SIGNED_CERT"],
          [{ ssl: { ca: cert }, serverHostname: "wrong.example" }, "ERR_TLS_CERT_ALTNAME_INVALID"],
        ];
        for (const [opts, code] of cases) {
          let factoryCalls = 0;
          const err = await rejected(() =>
            loop.createConnection(
              () => {
                factoryCalls++;
                return new RecProto();
              },
              HOST,
              port,
              opts,
            ),
          );
          assert.ok(err instanceof asyncio.OSError, String(err));
          assert.equal(err.constructor, asyncio.OSError, `${err.name}`);
          assert.equal(err.errno, code);
          assert.equal(factoryCalls, 0);
        }
        await asyncio.sleep(0.02);
        assert.equal(made, 0, "the server's protocol never sees a failed handshake");
        assert.deepEqual(contexts, []);
        assert.ok(server.isServing());
      } finally {
        loop.setExceptionHandler(null);
        await shutdown(server);
      }
    });
  });

  // sslproto.py: "returning true from eof_received() has no effect when using ssl" (a warning, then close)
  test("eofReceived() → true over TLS: warning, and the transport closes", async () => {
    await runMain(async () => {
      const { logs } = await captureLogs(async () => {
        const p = await tcpPair(
          { keepOpen: true },
          {},
          { server: { cert, key }, client: { ssl: { ca: cert }, serverHostname: "localhost" } },
        );
        try {
          p.ct.close();
          assert.equal(await within(p.sp.done), null);
          assert.deepEqual(p.sp.events, ["made", "eof", "lost"]);
        } finally {
          await shutdown(p.server, p.ct);
        }
      });
      assert.ok(
        logs.some((l) => /returning true from eofReceived\(\) has no effect when using TLS/.test(l)),
        logs.join("\n"),
      );
    });
  });

  // test_ssl.py: TestSSL.test_create_connection_ssl_slow_handshake
  test("sslHandshakeTimeout: a server that never answers the handshake → ConnectionAbortedError", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const silent = await loop.createServer(() => new RecProto(), HOST, 0); // plain TCP, never answers
      try {
        const err = await rejected(() =>
          loop.createConnection(() => new RecProto(), HOST, portOf(silent), {
            ssl: { ca: cert },
            serverHostname: "localhost",
            sslHandshakeTimeout: 0.1,
          }),
        );
        assert.ok(err instanceof asyncio.ConnectionAbortedError, String(err));
        assert.match(err.message, /SSL handshake is taking longer than 0\.1 seconds/);
      } finally {
        await shutdown(silent);
      }
    });
  });

  // No direct CPython counterpart (test_ssl.py covers the failure paths): cancelling a connect during
  // the handshake closes the socket and nothing leaks; both coroutine forms.
  function cancelHandshake(form: "async" | "gen"): () => Promise<void> {
    return () =>
      runMain(async () => {
        const loop = asyncio.getRunningLoop();
        const served: RecProto[] = [];
        const silent = await loop.createServer(
          () => {
            const p = new RecProto();
            served.push(p);
            return p;
          },
          HOST,
          0,
        );
        try {
          const connect = () =>
            loop.createConnection(() => new RecProto(), HOST, portOf(silent), {
              ssl: { ca: cert },
              serverHostname: "localhost",
            });
          const task =
            form === "async"
              ? asyncio.createTask(async () => caught(connect()))
              : asyncio.createTask(
                  asyncio.coroutine(function* () {
                    return yield* caughtGen(connect());
                  }),
                );
          await until(() => served.length === 1 && served[0]!.nbytes > 0, "the ClientHello");
          task.cancel();
          const err = await within(task);
          assert.ok(err instanceof asyncio.CancelledError, String(err));
          await within(served[0]!.done);
          assert.deepEqual(served[0]!.events.slice(0, 2), ["made", "data"]);
        } finally {
          await shutdown(silent);
        }
      });
  }
  bothForms("cancelling createConnection during the TLS handshake closes the socket", {
    async: cancelHandshake("async"),
    gen: cancelHandshake("gen"),
  });
});

// ---------------------------------------------------------------------------------------------
// Signals
// ---------------------------------------------------------------------------------------------

describe("signal handlers", () => {
  // test_events.py: EventLoopTestsMixin.test_add_signal_handler
  test("test_add_signal_handler: argument errors, delivery, removal", async () => {
    const before = process.listenerCount("SIGUSR1");
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      let caughtN = 0;
      const handler = (): void => {
        caughtN++;
      };
      // Deviation: a signal *name* is valid here, so an unknown name is a ValueError (CPython: TypeError).
      for (const bad of ["boom", 65, 0, -1, 1000]) {
        const e1 = thrown(() => loop.addSignalHandler(bad as any, handler));
        assert.ok(e1 instanceof asyncio.ValueError, `${bad}: ${e1}`);
        const e2 = thrown(() => loop.removeSignalHandler(bad as any));
        assert.ok(e2 instanceof asyncio.ValueError, `${bad}: ${e2}`);
      }
      const k = thrown(() => loop.addSignalHandler("SIGKILL", handler));
      assert.ok(k instanceof asyncio.RuntimeError, String(k));
      assert.ok(thrown(() => loop.addSignalHandler("SIGSTOP", handler)) instanceof asyncio.RuntimeError);
      assert.equal(loop.removeSignalHandler("SIGKILL"), false);
      assert.equal(process.listenerCount("SIGUSR1"), before);

      loop.addSignalHandler("SIGUSR1", handler);
      assert.equal(process.listenerCount("SIGUSR1"), before + 1);
      process.kill(process.pid, "SIGUSR1");
      await until(() => caughtN > 0, "the signal handler");
      assert.equal(caughtN, 1);
      assert.equal(loop.removeSignalHandler("SIGUSR1"), true);
      assert.equal(process.listenerCount("SIGUSR1"), before);
      assert.equal(loop.removeSignalHandler("SIGUSR1"), false);
    });
  });

  // test_events.py: EventLoopTestsMixin.test_signal_handling_args (a number works as well as a name)
  test("test_signal_handling_args: the callback gets its arguments, as a loop callback", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const calls: unknown[][] = [];
      const got = loop.createFuture<void>();
      let onLoop: boolean | null = null;
      let inTask: boolean | null = null;
      loop.addSignalHandler(
        constants.signals.SIGWINCH,
        (...args: unknown[]) => {
          calls.push(args);
          onLoop = asyncio.getRunningLoop() === loop;
          inTask = asyncio.currentTask() !== null;
          got.setResult();
        },
        "arg",
        42,
      );
      try {
        process.kill(process.pid, "SIGWINCH");
        await within(got);
        assert.deepEqual(calls, [["arg", 42]]);
        assert.equal(onLoop, true);
        assert.equal(inTask, false);
      } finally {
        assert.equal(loop.removeSignalHandler("SIGWINCH"), true);
      }
    });
  });

  // test_unix_events.py: SelectorEventLoopSignalTests.test_add_signal_handler (a second add replaces)
  test("adding a handler again replaces the first one", async () => {
    const before = process.listenerCount("SIGUSR1");
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const log: string[] = [];
      const got = loop.createFuture<void>();
      loop.addSignalHandler("SIGUSR1", () => log.push("first"));
      loop.addSignalHandler(
        "SIGUSR1",
        (x: string) => {
          log.push(x);
          got.setResult();
        },
        "second",
      );
      assert.equal(process.listenerCount("SIGUSR1"), before + 1);
      try {
        process.kill(process.pid, "SIGUSR1");
        await within(got);
        await asyncio.sleep(0);
        assert.deepEqual(log, ["second"]);
      } finally {
        assert.equal(loop.removeSignalHandler("SIGUSR1"), true);
      }
    });
    assert.equal(process.listenerCount("SIGUSR1"), before);
  });

  // test_unix_events.py: SelectorEventLoopSignalTests.test_add_signal_handler_coroutine_error
  test("coroutines and coroutine functions are rejected with TypeError", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      const before = process.listenerCount("SIGUSR1");
      const genCoroFn = asyncio.coroutine(function* () {
        yield* asyncio.sleep(0);
      });
      const coro = genCoroFn();
      const candidates: unknown[] = [genCoroFn, coro, function* () {}, async () => {}];
      for (const cb of candidates) {
        const e = thrown(() => loop.addSignalHandler("SIGUSR1", cb as any));
        assert.ok(e instanceof asyncio.ArgumentTypeError, String(e));
        assert.match(e.message, /coroutines cannot be used with addSignalHandler\(\)/);
      }
      (coro as unknown as { close(): void }).close?.();
      assert.ok(
        thrown(() => loop.addSignalHandler("SIGUSR1", 42 as any)) instanceof asyncio.ArgumentTypeError,
      );
      assert.equal(process.listenerCount("SIGUSR1"), before);
    });
  });

  // test_unix_events.py: SelectorEventLoopSignalTests.test_check_signal
  test("test_check_signal: wrong types → TypeError, unknown names/numbers → ValueError", async () => {
    await runMain(async () => {
      const loop = asyncio.getRunningLoop();
      for (const bad of [1.5, {}, null, Symbol("SIGINT")]) {
        assert.ok(thrown(() => loop.removeSignalHandler(bad as any)) instanceof asyncio.ArgumentTypeError);
        assert.ok(
          thrown(() => loop.addSignalHandler(bad as any, () => {})) instanceof asyncio.ArgumentTypeError,
        );
      }
      for (const bad of ["SIGFOO", "sigint", "1", 65]) {
        assert.ok(thrown(() => loop.removeSignalHandler(bad as any)) instanceof asyncio.ValueError);
      }
      assert.equal(loop.removeSignalHandler("SIGHUP"), false, "no handler: false");
    });
  });

  // test_unix_events.py: SelectorEventLoopSignalTests.test_close; test_events.py: test_close
  test("closing the loop removes its handlers; adding one afterwards is a RuntimeError", () => {
    const usr1 = process.listenerCount("SIGUSR1");
    const hup = process.listenerCount("SIGHUP");
    const loop = asyncio.newEventLoop();
    loop.addSignalHandler("SIGUSR1", () => {});
    loop.addSignalHandler("SIGHUP", () => {});
    assert.equal(process.listenerCount("SIGUSR1"), usr1 + 1);
    assert.equal(process.listenerCount("SIGHUP"), hup + 1);
    loop.close();
    assert.equal(process.listenerCount("SIGUSR1"), usr1);
    assert.equal(process.listenerCount("SIGHUP"), hup);
    const e = thrown(() => loop.addSignalHandler("SIGTERM", () => {}));
    assert.ok(e instanceof asyncio.RuntimeError, String(e));
    assert.equal(loop.removeSignalHandler("SIGUSR1"), false);
  });
});
