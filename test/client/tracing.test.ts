// Client tracing: the behaviour checked by aiohttp's tests/test_tracing.py (TraceConfig, its
// context factory, freezing) and by the tracing tests of tests/test_client_session.py and
// tests/test_connector.py (which signals a request sends, in which order, with what), against a
// node:http server started by each test. Each test names the aiohttp test it follows; "aiots:"
// titles are our own.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ClientConnectorError,
  type ClientResponse,
  ClientSession,
  TCPConnector,
  TraceConfig,
  TraceSignal,
} from "../../src/client/index.js";
import * as asyncio from "../../src/index.js";
import { thrownBy } from "../helpers.js";
import { httpServer } from "./helpers.js";

// ---- local helpers ----

const SIGNALS = [
  "onRequestStart",
  "onRequestEnd",
  "onRequestException",
  "onRequestRedirect",
  "onRequestHeadersSent",
  "onRequestChunkSent",
  "onResponseChunkReceived",
  "onConnectionQueuedStart",
  "onConnectionQueuedEnd",
  "onConnectionCreateStart",
  "onConnectionCreateEnd",
  "onConnectionReuseconn",
] as const;

/** A config logging every signal (chunks excluded unless `chunks`) as `name` or `name:tag`. */
function recorder(
  log: string[],
  options: { chunks?: boolean; tag?: (ctx: any) => string } = {},
): TraceConfig {
  const trace = new TraceConfig();
  for (const name of SIGNALS) {
    if (!options.chunks && (name === "onRequestChunkSent" || name === "onResponseChunkReceived")) continue;
    (trace[name] as TraceSignal<unknown>).push(async (_s, ctx) => {
      log.push(options.tag === undefined ? name : `${name}:${options.tag(ctx)}`);
    });
  }
  return trace;
}

const run = <T>(main: () => Promise<T>): Promise<T> => asyncio.run(main);

// ---- TraceConfig ----

test("TestTraceConfig::test_trace_config_ctx_default / test_trace_config_ctx_request_ctx", () => {
  const trace = new TraceConfig();
  const ctx = trace.traceConfigCtx();
  assert.equal(typeof ctx, "object");
  assert.equal(ctx.traceRequestCtx, null);
  const mine = { id: 42 };
  assert.equal(trace.traceConfigCtx({ traceRequestCtx: mine }).traceRequestCtx, mine);
  assert.notEqual(trace.traceConfigCtx(), trace.traceConfigCtx(), "a fresh context each time");
});

test("TestTraceConfig::test_trace_config_ctx_factory / test_trace_config_ctx_custom_class", () => {
  class MyContext {
    constructor(readonly requestId: unknown) {}
  }
  const trace = new TraceConfig({
    traceConfigCtxFactory: ({ traceRequestCtx }) =>
      new MyContext(traceRequestCtx) as unknown as Record<string, any>,
  });
  const ctx = trace.traceConfigCtx({ traceRequestCtx: 7 });
  assert.ok(ctx instanceof MyContext);
  assert.equal((ctx as unknown as MyContext).requestId, 7);
  assert.throws(() => new TraceConfig({ traceConfigCtxFactory: 5 as never }), asyncio.ArgumentTypeError);
});

test("TestTraceConfig::test_freeze: every signal is frozen and refuses new callbacks", () => {
  const trace = new TraceConfig();
  trace.onRequestStart.push(async () => {});
  assert.equal(trace.frozen, false);
  trace.freeze();
  assert.equal(trace.frozen, true);
  for (const name of SIGNALS) {
    assert.equal(trace[name].frozen, true, name);
    assert.throws(
      () => (trace[name] as TraceSignal<unknown>).push(async () => {}),
      asyncio.RuntimeError,
      name,
    );
  }
  assert.equal(trace.onRequestStart.length, 1);
});

test("aiots: a session freezes its trace configs; a signal takes functions only", () =>
  run(async () => {
    const trace = new TraceConfig();
    assert.throws(() => trace.onRequestEnd.push(42 as never), asyncio.ArgumentTypeError);
    await using _session = new ClientSession({ traceConfigs: [trace] });
    assert.equal(trace.frozen, true);
    assert.throws(() => trace.onRequestEnd.push(async () => {}), asyncio.RuntimeError);
    assert.ok(trace.onRequestEnd instanceof TraceSignal);
    assert.ok(Array.isArray(trace.onRequestEnd));
  }));

// ---- request signals ----

test("test_request_tracing: start, headers sent, chunks, end, with the session, context and params", async () => {
  await using srv = await httpServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await run(async () => {
    const ctxObj = { mine: true };
    const factoryArgs: unknown[] = [];
    const trace = new TraceConfig({
      traceConfigCtxFactory: (o) => {
        factoryArgs.push(o.traceRequestCtx);
        return ctxObj;
      },
    });
    const calls: string[] = [];
    const sentBody: Buffer[] = [];
    const receivedBody: Buffer[] = [];
    let sessionSeen: unknown = null;
    let startParams: { method: string; url: URL; headers: { get(k: string): string | undefined } } | null =
      null;
    let endResponse: unknown = null;
    trace.onRequestStart.push(async (session, ctx, params) => {
      assert.equal(ctx, ctxObj);
      sessionSeen = session;
      startParams = params;
      calls.push("start");
    });
    trace.onRequestHeadersSent.push(async (_s, ctx, params) => {
      assert.equal(ctx, ctxObj);
      assert.equal(params.headers.get("Custom-Header"), "Custom value");
      calls.push("headers-sent");
    });
    trace.onRequestChunkSent.push(async (_s, _c, params) => {
      sentBody.push(Buffer.from(params.chunk));
    });
    trace.onResponseChunkReceived.push(async (_s, _c, params) => {
      receivedBody.push(Buffer.from(params.chunk));
    });
    trace.onRequestEnd.push(async (_s, ctx, params) => {
      assert.equal(ctx, ctxObj);
      endResponse = params.response;
      calls.push("end");
    });
    trace.onRequestRedirect.push(async () => {
      calls.push("redirect");
    });
    const body = "This is request body";
    await using session = new ClientSession({
      traceConfigs: [trace],
      headers: { "Custom-Header": "Custom value" },
    });
    const reqCtx = {};
    await using resp = await session.post(`${srv.url}/`, { data: body, traceRequestCtx: reqCtx });
    assert.deepEqual(await resp.json(), { ok: true });
    assert.deepEqual(calls, ["start", "headers-sent", "end"]);
    assert.equal(sessionSeen, session);
    assert.deepEqual(factoryArgs, [reqCtx]);
    assert.equal(factoryArgs[0], reqCtx);
    const sp = startParams!;
    assert.equal(sp.method, "POST");
    assert.equal(sp.url.href, `${srv.url}/`);
    assert.equal(sp.headers.get("Custom-Header"), "Custom value");
    assert.equal(endResponse, resp);
    assert.equal(Buffer.concat(sentBody).toString(), body);
    assert.equal(Buffer.concat(receivedBody).toString(), JSON.stringify({ ok: true }));
  });
});

test("test_request_tracing_url_params: the start params' URL has the query parameters", async () => {
  await using srv = await httpServer((_req, res) => res.end());
  await run(async () => {
    const urls: string[] = [];
    const trace = new TraceConfig();
    trace.onRequestStart.push(async (_s, _c, p) => void urls.push(p.url.href));
    trace.onRequestEnd.push(async (_s, _c, p) => void urls.push(p.url.href));
    await using session = new ClientSession({ traceConfigs: [trace] });
    await using _r = await session.get(`${srv.url}/path?a=1`, { params: { b: "2" } });
    assert.deepEqual(urls, [`${srv.url}/path?a=1&b=2`, `${srv.url}/path?a=1&b=2`]);
  });
});

test("test_request_tracing_exception: a failed request sends onRequestException, not onRequestEnd", async () => {
  const dead = await httpServer(() => {});
  const url = `${dead.url}/`;
  await dead[Symbol.asyncDispose]();
  await run(async () => {
    const log: string[] = [];
    const errors: unknown[] = [];
    const trace = recorder(log);
    const t2 = new TraceConfig();
    t2.onRequestException.push(async (_s, _c, p) => {
      errors.push(p.exception);
      assert.equal(p.method, "GET");
      assert.equal(p.url.href, url);
    });
    await using session = new ClientSession({ traceConfigs: [trace, t2] });
    const e = await thrownBy(session.get(url));
    assert.ok(e instanceof ClientConnectorError, String(e));
    assert.deepEqual(errors, [e]);
    assert.equal(log[0], "onRequestStart");
    assert.equal(log.at(-1), "onRequestException");
    assert.ok(!log.includes("onRequestEnd"));
    assert.ok(!log.includes("onConnectionCreateEnd"));
  });
});

test("test_request_tracing (redirect): onRequestRedirect with the redirect response, then onRequestEnd", async () => {
  await using srv = await httpServer((req, res) => {
    if (req.url === "/from") {
      res.writeHead(302, { Location: "/to" });
      res.end();
    } else res.end("done");
  });
  await run(async () => {
    const events: string[] = [];
    const trace = new TraceConfig();
    trace.onRequestRedirect.push(async (_s, _c, p) => {
      events.push(`redirect ${p.url.pathname} ${(p.response as ClientResponse).status}`);
    });
    trace.onRequestEnd.push(async (_s, _c, p) => {
      events.push(`end ${p.url.pathname} ${(p.response as ClientResponse).status}`);
    });
    await using session = new ClientSession({ traceConfigs: [trace] });
    await using resp = await session.get(`${srv.url}/from`);
    assert.equal(await resp.text(), "done");
    assert.deepEqual(events, ["redirect /from 302", "end /to 200"]);
  });
});

test("test_request_tracing_interpose_headers: headers added in onRequestStart are sent", async () => {
  await using srv = await httpServer((req, res) => res.end(req.headers.foo ?? "-"));
  await run(async () => {
    const trace = new TraceConfig();
    trace.onRequestStart.push(async (_s, _c, p) => {
      p.headers.set("foo", "bar");
    });
    await using session = new ClientSession({ traceConfigs: [trace] });
    await using resp = await session.get(`${srv.url}/`);
    assert.equal(await resp.text(), "bar");
    assert.equal(resp.requestInfo.headers.get("foo"), "bar");
  });
});

test("aiots: an error thrown by a trace callback fails the request", async () => {
  await using srv = await httpServer((_req, res) => res.end());
  await run(async () => {
    const trace = new TraceConfig();
    trace.onRequestStart.push(async () => {
      throw new asyncio.RuntimeError("from trace");
    });
    await using session = new ClientSession({ traceConfigs: [trace] });
    const e = await thrownBy(session.get(`${srv.url}/`));
    assert.ok(e instanceof asyncio.RuntimeError);
    assert.equal((e as Error).message, "from trace");
  });
});

test("aiots: each request has its own context, shared by all of its callbacks; configs run in order", async () => {
  await using srv = await httpServer((_req, res) => res.end());
  await run(async () => {
    const seen: string[] = [];
    let n = 0;
    const a = new TraceConfig({ traceConfigCtxFactory: () => ({ id: `a${++n}` }) });
    a.onRequestStart.push(async (_s, ctx) => void seen.push(`start ${ctx.id}`));
    a.onRequestEnd.push(async (_s, ctx) => void seen.push(`end ${ctx.id}`));
    const b = new TraceConfig();
    b.onRequestStart.push(async (_s, ctx) => void seen.push(`b-start ${String(ctx.traceRequestCtx)}`));
    await using session = new ClientSession({ traceConfigs: [a, b] });
    for (const tag of ["x", "y"]) {
      await using r = await session.get(`${srv.url}/`, { traceRequestCtx: tag });
      await r.read();
    }
    assert.deepEqual(seen, ["start a1", "b-start x", "end a1", "start a2", "b-start y", "end a2"]);
  });
});

// ---- connection signals ----

test("test_connect_tracing / test_connect_reuseconn_tracing: create for a new connection, reuseconn after", async () => {
  await using srv = await httpServer((_req, res) => res.end("x"));
  await run(async () => {
    const log: string[] = [];
    await using session = new ClientSession({ traceConfigs: [recorder(log)] });
    for (let i = 0; i < 2; i++) {
      await using r = await session.get(`${srv.url}/`);
      await r.read();
    }
    assert.deepEqual(log, [
      "onRequestStart",
      "onConnectionCreateStart",
      "onConnectionCreateEnd",
      "onRequestHeadersSent",
      "onRequestEnd",
      "onRequestStart",
      "onConnectionReuseconn",
      "onRequestHeadersSent",
      "onRequestEnd",
    ]);
  });
});

test("test_connect_queued_operation_tracing: with limit 1 the second request is queued", async () => {
  let releaseFirst!: () => void;
  const firstHeld = new Promise<void>((r) => (releaseFirst = r));
  let arrived = 0;
  await using srv = await httpServer((req, res) => {
    arrived++;
    if (req.url === "/first") void firstHeld.then(() => res.end("1"));
    else res.end("2");
  });
  await run(async () => {
    const log: string[] = [];
    const trace = recorder(log, { tag: (ctx) => String(ctx.traceRequestCtx) });
    const queued = new asyncio.Event();
    const t2 = new TraceConfig();
    t2.onConnectionQueuedStart.push(async () => queued.set());
    await using session = new ClientSession({
      connector: new TCPConnector({ limit: 1 }),
      traceConfigs: [trace, t2],
    });
    const get = async (path: string): Promise<string> => {
      await using r = await session.get(`${srv.url}${path}`, { traceRequestCtx: path.slice(1) });
      return await r.text();
    };
    const first = asyncio.createTask(() => get("/first"));
    while (arrived === 0) await asyncio.sleep(0.002);
    const second = asyncio.createTask(() => get("/second"));
    await queued.wait();
    assert.ok(!log.includes("onConnectionQueuedEnd:second"));
    releaseFirst();
    assert.deepEqual(await asyncio.gather(first, second), ["1", "2"]);
    const secondLog = log.filter((l) => l.endsWith(":second"));
    assert.deepEqual(secondLog.slice(0, 3), [
      "onRequestStart:second",
      "onConnectionQueuedStart:second",
      "onConnectionQueuedEnd:second",
    ]);
    assert.ok(!log.includes("onConnectionQueuedStart:first"));
  });
});

test("test_exception_during_connection_create_tracing: an error in onConnectionCreateStart fails the request", async () => {
  await using srv = await httpServer((_req, res) => res.end("x"));
  await run(async () => {
    const trace = new TraceConfig();
    trace.onConnectionCreateStart.push(async () => {
      throw new asyncio.RuntimeError("create failed");
    });
    await using session = new ClientSession({ traceConfigs: [trace] });
    const e = await thrownBy(session.get(`${srv.url}/`));
    assert.ok(e instanceof Error);
    assert.match(String((e as Error).message) + String((e as Error).cause ?? ""), /create failed/);
  });
});

test("test_response_chunk_received_via_content: chunks seen by the trace make up the body", async () => {
  const body = Buffer.alloc(64 * 1024, "x");
  await using srv = await httpServer((_req, res) => {
    res.setHeader("content-length", body.length);
    res.write(body.subarray(0, 1000));
    setImmediate(() => res.end(body.subarray(1000)));
  });
  await run(async () => {
    const chunks: Buffer[] = [];
    const trace = new TraceConfig();
    trace.onResponseChunkReceived.push(async (_s, _c, p) => void chunks.push(Buffer.from(p.chunk)));
    await using session = new ClientSession({ traceConfigs: [trace] });
    await using resp = await session.get(`${srv.url}/`);
    let total = 0;
    for await (const c of resp.content.iterChunked(512)) total += c.length;
    assert.equal(total, body.length);
    assert.ok(chunks.length > 0);
    assert.deepEqual(Buffer.concat(chunks), body);
  });
});

test("aiots: a signal aborted while onRequestStart is awaited ends the request with its reason; nothing is sent", () =>
  run(async () => {
    let requests = 0;
    await using srv = await httpServer((_req, res) => {
      requests++;
      res.end("ok");
    });
    const controller = new AbortController();
    const reason = new Error("stopped by the caller");
    const trace = new TraceConfig();
    trace.onRequestStart.push(async () => {
      await asyncio.sleep(0);
      controller.abort(reason);
    });
    await using session = new ClientSession({ traceConfigs: [trace] });
    assert.equal(await thrownBy(session.get(srv.url, { signal: controller.signal })), reason);
    assert.equal(requests, 0);
    assert.equal(srv.connections, 0);
  }));
