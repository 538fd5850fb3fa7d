// A WebSocket peer nobody here wrote (issue 10): Python's aiohttp client (Debian's python3-aiohttp,
// run under /usr/bin/python3, not the pyenv one first on PATH) runs an echo against our
// WebSocketResponse — text, binary, JSON, subprotocol negotiation, and a clean close
// (aiohttp's test_web_websocket_functional.py echo cases, with aiohttp on the other side).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { TestServer } from "../../src/test-utils/index.js";
import * as web from "../../src/web/index.js";

const PYTHON = "/usr/bin/python3";
const HAVE_AIOHTTP = existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import aiohttp"]).status === 0;
const CLIENT = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "web", "aiohttp-ws-client.py");

function runClient(url: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(PYTHON, [CLIENT, url], { stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("error", reject);
    p.on("close", (code) => resolve({ code, out, err }));
  });
}

describe(`Python aiohttp WebSocket client (${PYTHON})`, () => {
  test("echo of text, binary and JSON; protocol negotiated; the client's close is answered with 1000", async (t) => {
    if (!HAVE_AIOHTTP) {
      t.skip(`${PYTHON} with aiohttp is not available (.ci/run installs python3-aiohttp)`);
      return;
    }
    const seen: string[] = [];
    const app = new web.Application();
    app.router.addGet("/ws", async (request) => {
      const ws = new web.WebSocketResponse({ protocols: ["chat"] });
      await ws.prepare(request);
      for await (const msg of ws) {
        if (msg.type === web.WSMsgType.TEXT) {
          seen.push(`text ${msg.data}`);
          await ws.sendStr(msg.data);
        } else if (msg.type === web.WSMsgType.BINARY) {
          seen.push(`binary ${msg.data.length}`);
          await ws.sendBytes(msg.data);
        }
      }
      seen.push(`closed ${ws.closeCode}`);
      return ws;
    });
    await using server = await new TestServer(app).start();
    const r = await runClient(server.makeUrl("/ws").href.replace(/^http/, "ws"));
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.out.trim().split("\n"), [
      "protocol chat",
      "text hello",
      "binary 000102",
      'json {"n": 1}',
      "closed 1000",
    ]);
    assert.deepEqual(seen, ["text hello", "binary 3", 'text {"n": 1}', "closed 1000"]);
  });
});
