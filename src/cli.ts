#!/usr/bin/env node
/**
 * The `aiots` command. `aiots web MODULE:FACTORY` serves the application a factory returns, like
 * `python -m aiohttp.web package.module:init_func`.
 *
 *   aiots web ./app.js:makeApp -H 127.0.0.1 -P 8080
 *   node --import tsx src/cli.ts web ./examples/app.ts:makeApp   (TypeScript modules, from a checkout)
 */
import { resolve } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Application, runApp } from "./web/index.js";

const USAGE = `usage: aiots web [-H HOST] [-P PORT] [--path PATH] [--workers N] MODULE:FACTORY [-- FACTORY ARGS...]

Serve the aiots/web Application that FACTORY returns (like \`python -m aiohttp.web\`).

  MODULE     a file (./app.js, ./app.ts with a TypeScript loader) or a package specifier
  FACTORY    an export of MODULE: a function called with the arguments after \`--\`, returning an
             Application (or a promise of one), or an Application itself

options:
  -H, --hostname HOST   host to listen on (default 0.0.0.0)
  -P, --port PORT       TCP port (default 8080)
  -U, --path PATH       Unix socket path (instead of TCP unless -H is given too)
      --workers N       serve from N processes sharing the port (default 1)
  -h, --help            show this help and exit`;

/** Thrown for a bad command line: printed with the usage, exit status 2. */
class UsageError extends Error {}

async function loadFactory(spec: string): Promise<unknown> {
  const colon = spec.lastIndexOf(":");
  if (colon <= 0 || colon === spec.length - 1)
    throw new UsageError(`expected MODULE:FACTORY, got ${JSON.stringify(spec)}`);
  const modName = spec.slice(0, colon);
  const exportName = spec.slice(colon + 1);
  const isPath = modName.startsWith(".") || modName.startsWith("/") || /\.[cm]?[jt]s$/.test(modName);
  const url = isPath ? pathToFileURL(resolve(modName)).href : modName;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`unable to import ${modName}: ${(e as Error).message}`);
  }
  if (!(exportName in mod)) throw new UsageError(`module ${modName} has no export named ${exportName}`);
  return mod[exportName];
}

/** Run the CLI with `argv` (without the node and script paths); resolves with the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== "web") {
    console.error(`aiots: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return 2;
  }
  try {
    const dashdash = rest.indexOf("--");
    const own = dashdash === -1 ? rest : rest.slice(0, dashdash);
    const factoryArgs = dashdash === -1 ? [] : rest.slice(dashdash + 1);
    const { values, positionals } = parseArgs({
      args: own,
      allowPositionals: true,
      options: {
        hostname: { type: "string", short: "H" },
        port: { type: "string", short: "P" },
        path: { type: "string", short: "U" },
        workers: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError("expected exactly one MODULE:FACTORY");
    const port = values.port === undefined ? 8080 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`invalid port ${values.port}`);
    const workers = values.workers === undefined ? 1 : Number(values.workers);
    if (!Number.isInteger(workers) || workers < 1)
      throw new UsageError(`invalid --workers ${values.workers}`);
    const factory = await loadFactory(positionals[0]!);
    const app =
      typeof factory === "function" ? await (factory as (argv: string[]) => unknown)(factoryArgs) : factory;
    if (!(app instanceof Application))
      throw new UsageError(`${positionals[0]} did not give an aiots/web Application`);
    await runApp(app, {
      host: values.hostname ?? (values.path === undefined ? "0.0.0.0" : undefined),
      port,
      path: values.path,
      workers,
    });
    return 0;
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`aiots: ${(e as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) process.exitCode = await main(process.argv.slice(2));
