/**
 * Example 07 — a web server (seed tutorial, "aiohttp, server side"): `GET /` answers the path with
 * status 201; `GET /{id}` logs the match and the query string and answers the id.
 *
 *   npm start                                   # this example on 0.0.0.0:9999
 *   node --import tsx examples/07-web-server.ts [--host H] [--port P]
 *   curl -i http://127.0.0.1:9999/555?a=1
 *
 * Ctrl+C (or SIGTERM) stops it gracefully: requests in flight finish, then it exits with status 0.
 */
import { parseArgs } from "node:util";
import * as web from "aiots/web";

const { values } = parseArgs({
  options: {
    host: { type: "string", default: "0.0.0.0" },
    port: { type: "string", default: "9999" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log("usage: node --import tsx examples/07-web-server.ts [--host 0.0.0.0] [--port 9999]");
  process.exit(0);
}

async function indexHandle(request: web.Request): Promise<web.Response> {
  return new web.Response({ text: request.path, status: 201 });
}

async function handle(request: web.Request<{ id: string }>): Promise<web.Response> {
  console.log(request.matchInfo);
  console.log(request.queryString);
  return new web.Response({ status: 200, text: request.matchInfo.get("id") ?? "0000" });
}

const app = new web.Application();
app.router.addGet("/", indexHandle);
app.router.addGet("/{id}", handle);
await web.runApp(app, { host: values.host, port: Number(values.port) });
