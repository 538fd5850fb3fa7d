// Port of the static-file behaviour checked by aiohttp's tests/test_web_urldispatcher.py (and the
// static parts of test_web_sendfile_functional.py), through real sockets: each test names what it
// follows. Plain requests go through `TestClient` (in `asyncio.run`); the traversal inputs go through
// raw `node:net` requests, since a URL would normalise them. Every test builds its tree in a fresh temp dir — `root/` served, `secret.txt` beside it —
// and removes it after.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { ArgumentTypeError, ValueError } from "../../src/index.js";
import { TestClient, TestServer } from "../../src/test-utils/index.js";
import * as web from "../../src/web/index.js";
import { inLoop } from "../helpers.js";
import { parseHead, rawExchange, statusLines } from "./helpers.js";

let tmp = "";
let root = "";
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aiots-static-"));
  root = path.join(tmp, "root");
  fs.mkdirSync(path.join(root, "sub"), { recursive: true });
  fs.writeFileSync(path.join(root, "hello.txt"), "hello");
  fs.writeFileSync(path.join(root, "sub", "inner.txt"), "inner");
  fs.writeFileSync(path.join(tmp, "secret.txt"), "TOP SECRET");
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function staticApp(options?: web.StaticOptions, prefix = "/static"): web.Application {
  const app = new web.Application();
  app.router.addStatic(prefix, root, options);
  return app;
}

/** Send `target` byte for byte and parse the answer. */
async function rawGet(server: TestServer, target: string, method = "GET") {
  const r = await rawExchange(
    server.port,
    `${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
  );
  return parseHead(r.text);
}

/** Status, body and content type: what must be the same for a refused and a missing name. */
function shape(r: ReturnType<typeof parseHead>) {
  return {
    status: r.status,
    body: r.body,
    type: r.headers.get("content-type"),
    len: r.headers.get("content-length"),
  };
}

describe("addStatic: serving", () => {
  test(
    "test_static_file: a file under the prefix, with its type and validators",
    inLoop(async () => {
      await using client = await new TestClient(staticApp()).start();
      const r = await client.get("/static/hello.txt");
      assert.equal(r.status, 200);
      assert.equal(await r.text(), "hello");
      assert.equal(r.headers.get("content-type"), "text/plain; charset=utf-8");
      assert.ok(r.headers.get("etag"));
    }),
  );

  test(
    "test_static_nested: a file in a sub-directory",
    inLoop(async () => {
      await using client = await new TestClient(staticApp()).start();
      const r = await client.get("/static/sub/inner.txt");
      assert.equal(await r.text(), "inner");
    }),
  );

  test(
    "test_access_non_existing_resource: a missing file is a 404",
    inLoop(async () => {
      await using client = await new TestClient(staticApp()).start();
      assert.equal((await client.get("/static/nope.txt")).status, 404);
      assert.equal((await client.get("/static")).status, 404);
    }),
  );

  test(
    "test_access_root_of_static_handler (no index): a directory is a 403",
    inLoop(async () => {
      await using client = await new TestClient(staticApp()).start();
      assert.equal((await client.get("/static/")).status, 403);
      assert.equal((await client.get("/static/sub")).status, 403);
    }),
  );

  test("test_static_head: HEAD gives the headers and no body", async () => {
    await using server = await new TestServer(staticApp()).start();
    const r = await rawGet(server, "/static/hello.txt", "HEAD");
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-length")?.[0], "5");
    assert.equal(r.body, "");
  });

  test(
    "test_static_post: other methods are a 405 with Allow",
    inLoop(async () => {
      await using client = await new TestClient(staticApp()).start();
      const r = await client.post("/static/hello.txt");
      assert.equal(r.status, 405);
      assert.match(r.headers.get("allow")!, /GET/);
    }),
  );

  test(
    "test_static_file_range through a static route: 206",
    inLoop(async () => {
      await using client = await new TestClient(staticApp()).start();
      const r = await client.get("/static/hello.txt", { headers: { Range: "bytes=1-2" } });
      assert.equal(r.status, 206);
      assert.equal(await r.text(), "el");
    }),
  );

  test("conditional request through a static route: 304", async () => {
    await using server = await new TestServer(staticApp()).start();
    const first = await fetch(server.makeUrl("/static/hello.txt"));
    const r = await fetch(server.makeUrl("/static/hello.txt"), {
      headers: { "If-None-Match": first.headers.get("etag")! },
    });
    assert.equal(r.status, 304);
  });

  test("pre-compressed sibling through a static route", async () => {
    fs.writeFileSync(path.join(root, "app.js"), "plain");
    fs.writeFileSync(path.join(root, "app.js.gz"), "GZ");
    await using server = await new TestServer(staticApp()).start();
    const r = await rawExchange(
      server.port,
      "GET /static/app.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n",
    );
    const h = parseHead(r.text);
    assert.equal(h.body, "GZ");
    assert.equal(h.headers.get("content-encoding")?.[0], "gzip");
  });

  test(
    "test_static_route_path_existence_check: a percent-encoded unicode and space name",
    inLoop(async () => {
      fs.writeFileSync(path.join(root, "файл 1.txt"), "unicode");
      await using client = await new TestClient(staticApp()).start();
      const r = await client.get(`/static/${encodeURIComponent("файл 1.txt")}`);
      assert.equal(r.status, 200);
      assert.equal(await r.text(), "unicode");
    }),
  );

  test(
    "a prefix given with a trailing slash works the same",
    inLoop(async () => {
      await using client = await new TestClient(new TestServer(staticApp({}, "/assets/"))).start();
      assert.equal(await (await client.get("/assets/hello.txt")).text(), "hello");
    }),
  );

  test("keep-alive: two files, a 304 and a 404 answered in turn on one connection", async () => {
    await using server = await new TestServer(staticApp()).start();
    const first = await fetch(server.makeUrl("/static/hello.txt"));
    const etag = first.headers.get("etag")!;
    await first.text();
    const r = await rawExchange(
      server.port,
      "GET /static/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n" +
        `GET /static/hello.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: ${etag}\r\n\r\n` +
        "GET /static/nope HTTP/1.1\r\nHost: x\r\n\r\n" +
        "GET /static/sub/inner.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert.deepEqual(statusLines(r.text), [
      "HTTP/1.1 200 OK",
      "HTTP/1.1 304 Not Modified",
      "HTTP/1.1 404 Not Found",
      "HTTP/1.1 200 OK",
    ]);
    assert.ok(r.text.endsWith("inner"));
  });

  test(
    "test_static_in_subapp: under a sub-application's prefix",
    inLoop(async () => {
      const sub = new web.Application();
      sub.router.addStatic("/s", root);
      const app = new web.Application();
      app.addSubapp("/sub", sub);
      await using client = await new TestClient(app).start();
      assert.equal(await (await client.get("/sub/s/hello.txt")).text(), "hello");
    }),
  );

  test("a FIFO inside the directory is a 404 and does not hang", async (t) => {
    try {
      execFileSync("mkfifo", [path.join(root, "pipe")]);
    } catch {
      t.skip("mkfifo is not available");
      return;
    }
    await using server = await new TestServer(staticApp()).start();
    assert.equal((await fetch(server.makeUrl("/static/pipe"))).status, 404);
  });

  test("test_add_static_path_checks: a missing directory, a file, a bad prefix", () => {
    const app = new web.Application();
    assert.throws(() => app.router.addStatic("/s", path.join(tmp, "nope")), ValueError);
    assert.throws(() => app.router.addStatic("/s", path.join(tmp, "secret.txt")), ValueError);
    assert.throws(() => app.router.addStatic("s", root), ArgumentTypeError);
  });
});

describe("addStatic: the directory index", () => {
  test(
    "test_access_root_of_static_handler (showIndex): sorted entries, directories with a slash",
    inLoop(async () => {
      await using client = await new TestClient(staticApp({ showIndex: true })).start();
      const r = await client.get("/static/");
      assert.equal(r.status, 200);
      assert.match(r.headers.get("content-type")!, /^text\/html/);
      const html = await r.text();
      assert.match(html, /<title>Index of \/<\/title>/);
      assert.match(html, /<h1>Index of \/<\/h1>/);
      const hello = html.indexOf('<li><a href="/static/hello.txt">hello.txt</a></li>');
      const sub = html.indexOf('<li><a href="/static/sub">sub/</a></li>');
      assert.ok(hello >= 0 && sub > hello, html);
    }),
  );

  test(
    "test_access_sub_folder_of_static_handler: the index of a sub-directory",
    inLoop(async () => {
      await using client = await new TestClient(staticApp({ showIndex: true })).start();
      const html = await (await client.get("/static/sub")).text();
      assert.match(html, /Index of \/sub/);
      assert.match(html, /<a href="\/static\/sub\/inner.txt">inner.txt<\/a>/);
    }),
  );

  test(
    "test_static_directory_index_escaping: names are HTML-escaped and links percent-encoded",
    inLoop(async () => {
      const evil = `<img src=x onerror='alert(1)'>&"y"`;
      fs.writeFileSync(path.join(root, evil), "x");
      fs.writeFileSync(path.join(root, "a b#?.txt"), "x");
      await using client = await new TestClient(staticApp({ showIndex: true })).start();
      const html = await (await client.get("/static/")).text();
      assert.ok(!html.includes("<img"), html);
      assert.ok(html.includes(">&#60;img src=x onerror=&#39;alert(1)&#39;&#62;&#38;&#34;y&#34;</a>"), html);
      assert.ok(
        html.includes('href="/static/%3Cimg%20src%3Dx%20onerror%3D&#39;alert(1)&#39;%3E%26%22y%22"'),
        html,
      );
      assert.ok(html.includes('href="/static/a%20b%23%3F.txt"'), html);
    }),
  );

  test(
    "an escaped sub-directory name in the title",
    inLoop(async () => {
      fs.mkdirSync(path.join(root, "<b>"));
      await using client = await new TestClient(staticApp({ showIndex: true })).start();
      const html = await (await client.get("/static/%3Cb%3E")).text();
      assert.match(html, /<title>Index of \/&#60;b&#62;<\/title>/);
    }),
  );
});

describe("addStatic: nothing outside the directory", () => {
  // Each target names `secret.txt` (which exists beside the served directory) and must be answered
  // exactly as the same target naming a file that does not exist.
  const TRAVERSALS: [string, string][] = [
    ["plain ..", "/static/../SECRET"],
    ["nested ..", "/static/sub/../../SECRET"],
    ["%2e%2e", "/static/%2e%2e/SECRET"],
    ["%2E%2E upper case", "/static/%2E%2E/SECRET"],
    ["mixed .%2e", "/static/.%2e/SECRET"],
    ["encoded slash ..%2f", "/static/..%2fSECRET"],
    ["all encoded %2e%2e%2f", "/static/%2e%2e%2fSECRET"],
    ["encoded backslash ..%5c", "/static/..%5cSECRET"],
    ["raw backslash", "/static/..\\SECRET"],
    ["double encoding %252e%252e", "/static/%252e%252e/SECRET"],
    ["double-encoded slash ..%252f", "/static/..%252fSECRET"],
    ["absolute path //", `/static/${"/"}TMP/SECRET`],
    ["absolute %2F", "/static/%2FTMP%2FSECRET"],
    ["NUL byte %00", "/static/../SECRET%00"],
    ["control byte %01", "/static/%01/../../SECRET"],
    ["DEL %7f", "/static/../SECRET%7f"],
    ["newline %0a", "/static/%0a/../../SECRET"],
    ["dot segments and ./", "/static/./sub/./../../SECRET"],
    ["overlong UTF-8 dot %c0%ae", "/static/%c0%ae%c0%ae/SECRET"],
  ];

  for (const [label, template] of TRAVERSALS) {
    test(`test_static_directory_traversal (${label}): 404, alike for an existing and a missing file`, async () => {
      await using server = await new TestServer(staticApp({ showIndex: true })).start();
      const tmpNoSlash = tmp.replace(/^\//, "");
      const target = (name: string) => template.replace("TMP", tmpNoSlash).replace("SECRET", name);
      const existing = await rawGet(server, target("secret.txt"));
      const missing = await rawGet(server, target("no-such-file.txt"));
      assert.equal(existing.status, 404);
      assert.ok(!existing.body.includes("TOP SECRET"));
      assert.deepEqual(shape(existing), shape(missing));
    });
  }

  test("followSymlinks does not open `..`: test_follow_symlink_directory_traversal", async () => {
    await using server = await new TestServer(staticApp({ followSymlinks: true })).start();
    const a = await rawGet(server, "/static/../secret.txt");
    const b = await rawGet(server, "/static/%2e%2e/secret.txt");
    assert.equal(a.status, 404);
    assert.equal(b.status, 404);
  });

  test("`..` that stays inside the directory is served", async () => {
    await using server = await new TestServer(staticApp()).start();
    const r = await rawGet(server, "/static/sub/../hello.txt");
    assert.equal(r.status, 200);
    assert.equal(r.body, "hello");
  });

  test("a file literally named %2e%2e is reached by double encoding", async () => {
    fs.writeFileSync(path.join(root, "%2e%2e"), "literal");
    await using server = await new TestServer(staticApp()).start();
    const r = await rawGet(server, "/static/%252e%252e");
    assert.equal(r.status, 200);
    assert.equal(r.body, "literal");
  });
});

describe("addStatic: symlinks", () => {
  test("test_static_symlink_inside: a link to a file inside the directory is served", async () => {
    fs.symlinkSync(path.join(root, "hello.txt"), path.join(root, "alias.txt"));
    await using server = await new TestServer(staticApp()).start();
    const r = await rawGet(server, "/static/alias.txt");
    assert.equal(r.status, 200);
    assert.equal(r.body, "hello");
  });

  test("test_static_directory_without_follow_symlinks: a link to a file outside is a 404, like a missing file", async () => {
    fs.symlinkSync(path.join(tmp, "secret.txt"), path.join(root, "leak.txt"));
    fs.symlinkSync(path.join(tmp, "missing.txt"), path.join(root, "dangling.txt"));
    await using server = await new TestServer(staticApp()).start();
    const leak = await rawGet(server, "/static/leak.txt");
    const dangling = await rawGet(server, "/static/dangling.txt");
    const missing = await rawGet(server, "/static/none.txt");
    assert.equal(leak.status, 404);
    assert.deepEqual(shape(leak), shape(missing));
    assert.deepEqual(shape(dangling), shape(missing));
  });

  test("test_follow_symlink: with followSymlinks, a link to a file outside is served", async () => {
    fs.symlinkSync(path.join(tmp, "secret.txt"), path.join(root, "leak.txt"));
    await using server = await new TestServer(staticApp({ followSymlinks: true })).start();
    const r = await rawGet(server, "/static/leak.txt");
    assert.equal(r.status, 200);
    assert.equal(r.body, "TOP SECRET");
  });

  test("test_static_directory_symlink: a linked directory outside is closed without followSymlinks, open with it", async () => {
    const outside = path.join(tmp, "outside");
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, "o.txt"), "outside");
    fs.symlinkSync(outside, path.join(root, "linked"));
    {
      await using server = await new TestServer(staticApp({ showIndex: true })).start();
      assert.equal((await rawGet(server, "/static/linked/o.txt")).status, 404);
      assert.equal((await rawGet(server, "/static/linked")).status, 404);
    }
    await using server = await new TestServer(staticApp({ followSymlinks: true })).start();
    const r = await rawGet(server, "/static/linked/o.txt");
    assert.equal(r.status, 200);
    assert.equal(r.body, "outside");
  });

  test("test_access_symlink_loop: a symlink loop is a 404", async () => {
    fs.symlinkSync(path.join(root, "loop2"), path.join(root, "loop1"));
    fs.symlinkSync(path.join(root, "loop1"), path.join(root, "loop2"));
    await using server = await new TestServer(staticApp()).start();
    assert.equal((await rawGet(server, "/static/loop1")).status, 404);
    await using server2 = await new TestServer(staticApp({ followSymlinks: true })).start();
    assert.equal((await rawGet(server2, "/static/loop1")).status, 404);
  });

  test("a served directory that is itself a symlink works (its real path is the root)", async () => {
    const link = path.join(tmp, "rootlink");
    fs.symlinkSync(root, link);
    const app = new web.Application();
    app.router.addStatic("/static", link);
    await using server = await new TestServer(app).start();
    assert.equal((await rawGet(server, "/static/hello.txt")).body, "hello");
  });
});

describe("addStatic: urlFor and appendVersion", () => {
  test("test_static_add_resources / url_for: the URL of a file, percent-encoded", () => {
    const app = new web.Application();
    const res = app.router.addStatic("/st", root);
    assert.equal(res.urlFor({ filename: "sub/inner.txt" }), "/st/sub/inner.txt");
    assert.equal(res.urlFor({ filename: "a b.txt" }), "/st/a%20b.txt");
  });

  test("test_static_url_for_append_version: ?v= is the sha256 of the content (base64url)", () => {
    const app = new web.Application();
    const res = app.router.addStatic("/st", root, { appendVersion: true, name: "st" });
    const v = crypto.createHash("sha256").update("hello").digest("base64url");
    assert.equal(res.urlFor({ filename: "hello.txt" }), `/st/hello.txt?v=${v}`);
    assert.equal(app.router.urlFor("st", { filename: "hello.txt" }), "/st/hello.txt");
  });

  test("test_static_url_for_append_version_not_exists / outside: no version", () => {
    const app = new web.Application();
    const res = app.router.addStatic("/st", root, { appendVersion: true });
    assert.equal(res.urlFor({ filename: "nope.txt" }), "/st/nope.txt");
    assert.equal(res.urlFor({ filename: "sub" }), "/st/sub");
    assert.ok(!res.urlFor({ filename: "../secret.txt" }).includes("?v="));
  });

  test("test_static_url_for_append_version_set_explicitly: per call, and with a query", () => {
    const app = new web.Application();
    const res = app.router.addStatic("/st", root);
    assert.equal(res.urlFor({ filename: "hello.txt" }), "/st/hello.txt");
    assert.match(res.urlFor({ filename: "hello.txt" }, { a: "1" }, true), /^\/st\/hello\.txt\?a=1&v=/);
  });

  test("a versioned URL is served (the query is ignored)", async () => {
    const app = new web.Application();
    const res = app.router.addStatic("/st", root, { appendVersion: true });
    await using server = await new TestServer(app).start();
    const r = await fetch(server.makeUrl(res.urlFor({ filename: "hello.txt" })));
    assert.equal(await r.text(), "hello");
  });
});
