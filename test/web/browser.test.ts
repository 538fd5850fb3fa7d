// A real browser against aiots/web (issue 10): Debian's chromium, driven by playwright-core, loads a
// page served by aiots, uploads a file through a multipart form and runs a WebSocket echo, and the
// test checks what the page shows. `.ci/run` installs chromium when it is absent; the test is skipped
// with a visible reason only where no browser can be found.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, test } from "node:test";
import * as asyncio from "../../src/index.js";
import { TestServer } from "../../src/test-utils/index.js";
import * as web from "../../src/web/index.js";

const CHROMIUM = process.env.AIOTS_CHROMIUM ?? "/usr/bin/chromium";
const haveBrowser = existsSync(CHROMIUM);

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>aiots browser test</title></head>
<body>
<form id="upload" action="/upload" method="post" enctype="multipart/form-data">
  <input type="text" name="note" value="hello from the form">
  <input type="file" name="file" id="file">
  <button type="submit" id="send">send</button>
</form>
<pre id="result">(nothing yet)</pre>
<pre id="ws">(no socket yet)</pre>
<script>
document.getElementById("upload").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const res = await fetch("/upload", { method: "POST", body: new FormData(ev.target) });
  document.getElementById("result").textContent = res.status + " " + (await res.text());
});
const out = document.getElementById("ws");
const sock = new WebSocket("ws://" + location.host + "/ws");
const got = [];
sock.onopen = () => { sock.send("ping 1"); sock.send("ping 2"); };
sock.onmessage = (m) => { got.push(m.data); if (got.length === 2) { out.textContent = got.join(" | "); sock.close(1000, "done"); } };
sock.onerror = () => { out.textContent = "socket error"; };
</script>
</body></html>`;

function makeApp(log: string[]): web.Application {
  const app = new web.Application();
  app.router.addGet("/", () => new web.Response({ text: PAGE, contentType: "text/html" }));
  app.router.addPost("/upload", async (request) => {
    const form = await request.post();
    const file = form.get("file");
    const note = form.get("note");
    if (!(file instanceof web.FileField)) throw new web.HTTPBadRequest({ text: "no file" });
    log.push(`upload ${file.filename} ${file.contentType} ${file.data.length}`);
    return web.jsonResponse({
      note,
      filename: file.filename,
      size: file.data.length,
      text: file.data.toString(),
    });
  });
  app.router.addGet("/ws", async (request) => {
    const ws = new web.WebSocketResponse();
    await ws.prepare(request);
    for await (const msg of ws) {
      if (msg.type === web.WSMsgType.TEXT) {
        await asyncio.sleep(0); // the handler is an aiots task: the core is at hand
        await ws.sendStr(`echo: ${msg.data}`);
      }
    }
    log.push(`ws closed ${ws.closeCode}`);
    return ws;
  });
  return app;
}

describe("a real browser (Debian chromium via playwright-core)", () => {
  test("uploads a file through a multipart form and runs a WebSocket echo", async (t) => {
    if (!haveBrowser) {
      t.skip(`no browser at ${CHROMIUM} (apt-get install chromium; .ci/run does)`);
      return;
    }
    const { chromium } = await import("playwright-core");
    const log: string[] = [];
    await using server = await new TestServer(makeApp(log)).start();
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      // What this machine needs: no sandbox as root, and no background networking (the network is closed).
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    try {
      const page = await browser.newPage();
      await page.goto(server.makeUrl("/").href);
      await page.waitForFunction(() => document.getElementById("ws")?.textContent?.includes("|"));
      assert.equal(await page.textContent("#ws"), "echo: ping 1 | echo: ping 2");
      await page.setInputFiles("#file", {
        name: "greeting.txt",
        mimeType: "text/plain",
        buffer: Buffer.from("bonjour, aiots"),
      });
      await page.click("#send");
      await page.waitForFunction(() => document.getElementById("result")?.textContent?.startsWith("200"));
      const shown = (await page.textContent("#result"))!;
      const body = JSON.parse(shown.slice(4)) as Record<string, unknown>;
      assert.deepEqual(body, {
        note: "hello from the form",
        filename: "greeting.txt",
        size: 14,
        text: "bonjour, aiots",
      });
      await page.close();
    } finally {
      await browser.close();
    }
    assert.ok(log.includes("upload greeting.txt text/plain 14"), log.join("\n"));
    assert.ok(log.includes("ws closed 1000"), log.join("\n"));
  });
});
