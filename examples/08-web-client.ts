/**
 * Example 08 — a web client (seed tutorial, "aiohttp, client side"): one GET with `ClientSession`,
 * printing the status and the body. Start example 07 first (`npm start`), then:
 *
 *   node --import tsx examples/08-web-client.ts              # GET http://127.0.0.1:9999/555
 *   node --import tsx examples/08-web-client.ts --url URL    # GET another URL
 *
 * Prints `200` then `555` against example 07. Both the session and the response are closed at the
 * end of their block (`await using`): the connection goes back to the pool, then the pool is closed.
 */
import { parseArgs } from "node:util";
import * as asyncio from "aiots";
import { ClientSession } from "aiots/client";

const { values } = parseArgs({
  options: {
    url: { type: "string", default: "http://127.0.0.1:9999/555" },
  },
});

async function main(): Promise<void> {
  await using session = new ClientSession();
  await using res = await session.get(values.url);
  console.log(res.status);
  console.log(await res.text());
}

await asyncio.run(main);
