// aiots/test's TestClient (aiohttp's test_utils.TestClient) against a real server on 127.0.0.1:0.
// Each test names the aiohttp test it follows (tests/test_test_utils.py), or the aiohttp behaviour it
// pins down (aiohttp/test_utils.py) when no single test covers it. Requests need a running loop, as
// in aiohttp: every test body runs in `asyncio.run`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inspect } from "node:util";
import { ClientResponseError, ClientSession, CookieJar, DummyCookieJar } from "../../src/client/index.js";
import * as asyncio from "../../src/index.js";
import { TestClient, TestServer } from "../../src/test-utils/index.js";
import * as web from "../../src/web/index.js";
import { freePort, inLoop } from "../helpers.js";

const HELLO = "Hello, world";

/**
 * aiohttp's `_create_example_app`: `*` on `/` says hello, `/websocket` answers one message with
 * `…/answer` then closes, `/cookie` sets a cookie.
 */
function exampleApp(): web.Application {
  const app = new web.Application();
  app.router.addRoute("*", "/", () => new web.Response({ body: Buffer.from(HELLO) }));
  app.router.addRoute("*", "/websocket", async (request) => {
    const ws = new web.WebSocketResponse();
    await ws.prepare(request);
    const msg = await ws.receive();
    assert.equal(msg.type, web.WSMsgType.TEXT);
    await ws.sendStr(`${msg.data}/answer`);
    return ws;
  });
  app.router.addRoute("*", "/cookie", () => {
    const resp = new web.Response({ body: Buffer.from(HELLO) });
    resp.setCookie("cookie", "val");
    return resp;
  });
  return app;
}

describe("requests", () => {
  test(
    "test_get_route: request('GET', path) reaches the app",
    inLoop(async () => {
      await using client = await new TestClient(new TestServer(exampleApp())).start();
      const resp = await client.request("GET", "/");
      assert.equal(resp.status, 200);
      assert.equal(await resp.text(), HELLO);
    }),
  );

  for (const method of ["get", "post", "options", "put", "patch", "delete"] as const) {
    test(
      `test_test_client_methods[${method}]: client.${method}(path)`,
      inLoop(async () => {
        await using client = await new TestClient(new TestServer(exampleApp())).start();
        const resp = await client[method]("/");
        assert.equal(resp.status, 200);
        assert.equal(resp.method, method.toUpperCase());
        assert.equal(await resp.text(), HELLO);
      }),
    );
  }

  test(
    "test_test_client_head: head(path) answers 200 with no body",
    inLoop(async () => {
      await using client = await new TestClient(new TestServer(exampleApp())).start();
      const resp = await client.head("/");
      assert.equal(resp.status, 200);
      assert.equal(resp.method, "HEAD");
      assert.equal((await resp.read()).length, 0);
    }),
  );

  test(
    "test_client_context_manager_response: `await using` on the client and on each response",
    inLoop(async () => {
      await using client = await new TestClient(new TestServer(exampleApp())).start();
      for (const method of ["head", "get", "post", "options", "put", "patch", "delete"] as const) {
        await using resp = await client[method]("/");
        assert.equal(resp.status, 200, method);
        if (method !== "head") assert.match(await resp.text(), /Hello, world/);
      }
    }),
  );

  test(
    "TestClient._request: paths carry their query string; request options go to the session",
    inLoop(async () => {
      const seen: string[] = [];
      const app = new web.Application();
      app.router.addPost("/echo", async (request) => {
        seen.push(`${request.queryString} ${request.headers.get("x-test")} ${await request.text()}`);
        return web.jsonResponse({ a: request.query.get("a"), b: request.query.get("b") });
      });
      await using client = await new TestClient(app).start();
      const resp = await client.post("/echo?a=1", {
        params: { b: "2" },
        headers: { "X-Test": "yes" },
        data: "payload",
      });
      assert.deepEqual(await resp.json(), { a: "1", b: "2" });
      assert.deepEqual(seen, ["a=1&b=2 yes payload"]);
      assert.equal(resp.url.href, client.makeUrl("/echo?a=1&b=2").href);
    }),
  );

  test(
    "TestClient(server, **kwargs): the options are the session's (default headers, raiseForStatus)",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/", (request) => new web.Response({ text: request.headers.get("x-default") ?? "" }));
      await using client = await new TestClient(app, {
        headers: { "X-Default": "from the session" },
        raiseForStatus: true,
      }).start();
      assert.equal(await (await client.get("/")).text(), "from the session");
      const err = await client.get("/missing").then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ClientResponseError);
      assert.equal(err.status, 404);
    }),
  );

  test(
    "ClientSession requests are coroutines: nothing is sent until the request is awaited",
    inLoop(async () => {
      let calls = 0;
      const app = new web.Application();
      app.router.addGet("/", () => {
        calls += 1;
        return new web.Response({ text: String(calls) });
      });
      await using client = await new TestClient(app).start();
      const pending = client.get("/");
      await asyncio.sleep(0.05);
      assert.equal(calls, 0);
      assert.equal(await (await pending).text(), "1");
      const [a, b] = await asyncio.gather(client.get("/"), client.get("/"));
      assert.deepEqual([a.status, b.status], [200, 200]);
      assert.equal(calls, 3);
    }),
  );
});

describe("WebSockets", () => {
  test(
    "test_client_websocket: wsConnect(path) talks to the app; the server's close arrives",
    inLoop(async () => {
      await using client = await new TestClient(exampleApp()).start();
      const ws = await client.wsConnect("/websocket");
      await ws.sendStr("foo");
      const msg = await ws.receive();
      assert.equal(msg.type, web.WSMsgType.TEXT);
      assert.equal(msg.data, "foo/answer");
      assert.equal((await ws.receive()).type, web.WSMsgType.CLOSE);
    }),
  );

  test(
    "TestClient.close: a WebSocket it opened and left open is closed (code 1000) before the server stops",
    inLoop(async () => {
      const serverSaw: unknown[] = [];
      const app = new web.Application();
      app.router.addGet("/ws", async (request) => {
        const ws = new web.WebSocketResponse();
        await ws.prepare(request);
        const msg = await ws.receive();
        serverSaw.push(msg.type, msg.data);
        return ws;
      });
      const client = await new TestClient(app).start();
      const ws = await client.wsConnect("/ws");
      assert.equal(ws.closed, false);
      await client.close();
      assert.equal(ws.closed, true);
      assert.deepEqual(serverSaw, [web.WSMsgType.CLOSE, 1000]);
    }),
  );
});

describe("cookies", () => {
  test(
    "test_client_cookie: cookies set by 127.0.0.1 are kept (the default jar is unsafe) and sent back",
    inLoop(async () => {
      const app = exampleApp();
      app.router.addGet(
        "/echo-cookie",
        (request) => new web.Response({ text: request.cookies.get("cookie") ?? "-" }),
      );
      await using client = await new TestClient(app).start();
      assert.equal(client.session.cookieJar.size, 0);
      await client.get("/cookie");
      const cookies = [...client.session.cookieJar];
      assert.equal(cookies.length, 1);
      assert.equal(cookies[0]!.key, "cookie");
      assert.equal(cookies[0]!.value, "val");
      assert.equal(await (await client.get("/echo-cookie")).text(), "val");
    }),
  );

  test(
    "TestClient(server, cookie_jar=…): a given jar is used as is",
    inLoop(async () => {
      const jar = new DummyCookieJar();
      await using client = await new TestClient(exampleApp(), { cookieJar: jar }).start();
      assert.equal(client.session.cookieJar, jar);
      await client.get("/cookie");
      assert.equal(jar.size, 0);
      const safe = new CookieJar(); // not unsafe: refuses cookies of an IP address, as aiohttp's
      await using other = await new TestClient(exampleApp(), { cookieJar: safe }).start();
      await other.get("/cookie");
      assert.equal(safe.size, 0);
    }),
  );
});

describe("lifecycle and properties", () => {
  test("test_client_unsupported_arg: anything but a TestServer or an Application is a TypeError", () => {
    assert.throws(
      () => new TestClient("string" as never),
      (e: unknown) =>
        e instanceof TypeError && e.message === "server must be a TestServer or an Application, got 'string'",
    );
    assert.throws(() => new TestClient(exampleApp(), null as never), TypeError);
  });

  test(
    "test_test_client_props: host, port, server, app; the port is known once started",
    inLoop(async () => {
      const app = exampleApp();
      const server = new TestServer(app, { host: "127.0.0.1" });
      const client = new TestClient(server);
      assert.equal(client.host, "127.0.0.1");
      assert.equal(client.server, server);
      assert.equal(client.app, app);
      assert.throws(() => client.port, /not started/); // aiohttp: 0
      assert.equal(await client.start(), client);
      assert.ok(Number.isInteger(client.port) && client.port > 0);
      assert.equal(client.port, server.port);
      assert.equal(client.makeUrl("/x?y=1").href, `http://127.0.0.1:${client.port}/x?y=1`);
      await client.close();
      assert.equal(client.closed, true);
    }),
  );

  test(
    "test_aiohttp_client_close_is_idempotent: close() twice, never started",
    inLoop(async () => {
      const client = new TestClient(new TestServer(exampleApp()));
      await client.close();
      await client.close();
      assert.equal(client.closed, true);
      assert.equal(client.session.closed, true);
    }),
  );

  test(
    "TestClient.start_server: a server already started is used as is",
    inLoop(async () => {
      await using server = await new TestServer(exampleApp()).start();
      const port = server.port;
      await using client = await new TestClient(server).start();
      await client.start();
      assert.equal(client.port, port);
      assert.equal((await client.get("/")).status, 200);
    }),
  );

  test(
    "start() twice at once starts the server once; inspect() shows where it listens",
    inLoop(async () => {
      await using client = new TestClient(exampleApp());
      const [a, b] = await asyncio.gather(client.start(), client.start());
      assert.equal(a, client);
      assert.equal(b, client);
      assert.equal(inspect(client), `<TestClient http://127.0.0.1:${client.port}>`);
      assert.equal((await client.get("/")).status, 200);
      await client.close();
      assert.equal(inspect(client), `<TestClient http://127.0.0.1:${client.port} closed>`);
    }),
  );

  test(
    "TestClient.close: responses it made are released, then the session and the server are closed",
    inLoop(async () => {
      const app = new web.Application();
      app.router.addGet("/stream", async (request) => {
        const resp = new web.StreamResponse();
        await resp.prepare(request);
        await resp.write(Buffer.from("first chunk"));
        for (let i = 0; i < 500; i++) {
          await asyncio.sleep(0.01);
          try {
            await resp.write(Buffer.from("."));
          } catch {
            return resp;
          }
        }
        return resp;
      });
      const client = await new TestClient(app).start();
      const port = client.port;
      const resp = await client.get("/stream");
      assert.equal(resp.status, 200);
      assert.equal(resp.closed, false);
      await client.close();
      assert.equal(resp.closed, true);
      assert.equal(client.session.closed, true);
      await assert.rejects(client.get("/"), /closed/);
      // The server is gone too.
      await using session = new ClientSession();
      await assert.rejects(session.get(`http://127.0.0.1:${port}/`));
    }),
  );

  test(
    "test_custom_port: a TestServer on a given port",
    inLoop(async () => {
      const port = await freePort();
      await using client = await new TestClient(new TestServer(exampleApp(), { port })).start();
      assert.equal(client.server.port, port);
      assert.equal(client.port, port);
      const resp = await client.get("/");
      assert.equal(await resp.text(), HELLO);
    }),
  );

  test(
    "test_server_make_url_yarl_compatibility: makeUrl takes paths, never absolute URLs",
    inLoop(async () => {
      await using client = await new TestClient(exampleApp()).start();
      assert.equal(client.makeUrl("/foo").href, `${client.server.baseUrl}/foo`);
      assert.throws(() => client.makeUrl("http://foo.com"), TypeError);
      await assert.rejects(client.get("http://foo.com/"), TypeError);
    }),
  );

  test(
    "test_server_context_manager: a TestServer used with a plain ClientSession",
    inLoop(async () => {
      await using server = await new TestServer(exampleApp()).start();
      await using session = new ClientSession();
      await using resp = await session.head(server.makeUrl("/"));
      assert.equal(resp.status, 200);
    }),
  );

  test(
    "requests before start() fail: the server has no port yet",
    inLoop(async () => {
      await using client = new TestClient(exampleApp());
      await assert.rejects(client.get("/"), /not started/);
    }),
  );
});
