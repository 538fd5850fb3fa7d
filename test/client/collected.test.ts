// What the client does with objects the user drops: an unclosed session reported in debug mode
// (aiohttp's "Unclosed client session", tests/test_client_session.py::test_del_debug), and a response
// whose body was never read giving its connection back once collected (aiohttp releases it in
// ClientResponse.__del__, tests/test_client_response.py::test_del).
import assert from "node:assert/strict";
import { test } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import { ClientSession, TCPConnector } from "../../src/client/index.js";
import * as asyncio from "../../src/index.js";
import { captureLogs } from "../helpers.js";
import { httpServer } from "./helpers.js";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

/** Collect garbage until `done()` (finalizers run between macrotasks), at most `tries` times. */
async function collectUntil(done: () => boolean, tries = 50): Promise<boolean> {
  for (let i = 0; i < tries && !done(); i++) {
    gc();
    await asyncio.sleep(0.01);
  }
  return done();
}

const unclosed = (lines: string[]): boolean => lines.some((l) => l.includes("Unclosed client session"));

test("test_del_debug: a session collected unclosed is reported in debug mode, with where it was made", async () => {
  const { result: seen, logs: lines } = await captureLogs((lines) =>
    asyncio.run(
      async () => {
        (() => {
          new ClientSession(); // dropped without close()
        })();
        return collectUntil(() => unclosed(lines));
      },
      { debug: true },
    ),
  );
  assert.equal(seen, true);
  assert.match(lines.find((l) => l.includes("Unclosed client session"))!, /source_traceback/);
});

test("test_del: no report for a closed session, nor outside debug mode", async () => {
  const { logs: lines } = await captureLogs(() =>
    asyncio.run(async () => {
      const s = new ClientSession();
      await s.close();
      (() => {
        new ClientSession(); // not debug: not tracked
      })();
      await collectUntil(() => false, 5);
    }),
  );
  assert.equal(unclosed(lines), false);
});

test("test_del (response): an unread body still arriving does not hold the connection once the response is collected", async () => {
  const big = Buffer.alloc(4 * 1024 * 1024, 120); // far above what is buffered without a reader
  await using server = await httpServer((req, res) => {
    if (req.url === "/big") res.end(big);
    else res.end("ok");
  });
  await asyncio.run(async () => {
    // limit 1: the second request can only go once the first one's connection is given back.
    await using session = new ClientSession({ connector: new TCPConnector({ limit: 1 }) });
    await (async () => {
      const resp = await session.get(`${server.url}/big`);
      assert.equal(resp.status, 200); // dropped unread
    })();
    let second: string | null = null;
    const t = asyncio.createTask(async () => {
      const r = await session.get(`${server.url}/small`);
      second = await r.text();
    });
    assert.equal(await collectUntil(() => second !== null), true);
    await t;
    assert.equal(second, "ok");
  });
});
