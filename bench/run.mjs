#!/usr/bin/env node
// Benchmark runner for aiots' core runtime. Plain ESM JavaScript: it runs on the built dist/.
// Each measurement is a fresh child process pinned to one core; contenders are interleaved A B C A B C …
// over several rounds and the median is reported. See bench/README.md.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { clientCase } from "./cases/_client_report.mjs";
import { fileCases } from "./cases/_file_report.mjs";
import { httpCases } from "./cases/_http_report.mjs";
import { wsCase } from "./cases/_ws_report.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..");
const DEFAULT_PYTHON = "/usr/bin/python3"; // Debian's CPython, not whatever pyenv puts first on PATH
let PYTHON = DEFAULT_PYTHON;
const APT_HINT = "apt-get install python3-uvloop";

const USAGE = `Usage: npm run bench -- [options]      (or: node bench/run.mjs [options])

Runs the benchmarks (gather, sleep0, waitfor, queue, semaphore, lock, executor, tracking; streams, rtt,
idle; router; http, http-idle, static, upload, ws; client), each contender in its own pinned child process, interleaved over
several rounds; prints medians and ratios to the raw-Node baseline and writes bench/results/latest.json.

Options:
  --rounds N        rounds per case (default 3; 1 with --quick; rtt: at least 5 without --quick)
  --quick           short smoke run: 1/10 of the sizes (tracking: full size), 1 round, Effection only
                    at the small size
  --case LIST       comma-separated cases to run: gather,sleep0,waitfor,queue,semaphore,lock,executor,
                    tracking,streams,rtt,idle,router,http,http-idle,static,upload,ws,client
                    (default: all)
  --skip LIST       comma-separated contender ids to leave out (e.g. effection,effection-10k)
  --cpu N           core to pin the measured process (the server, for streams and http cases) to
                    (default 0)
  --client-cpu N    core for the streams and http cases' load generator (wrk for http), and for the
                    client case's clients (default: the next core)
  --node PATH       Node binary for the Node cases (default: the project's pinned node in
                    node_modules/.bin, else the one running this script)
  --python PATH     CPython for the Python peers (default ${DEFAULT_PYTHON})
  --timeout S       per-process time limit in seconds (default 300)
  --no-build        do not (re)build dist/ even if it looks stale
  --help            this text

Python contenders use ${DEFAULT_PYTHON} (stdlib asyncio) and uvloop: ${APT_HINT}
(http: python3-aiohttp too). The http cases drive the servers with /usr/bin/wrk (apt-get install wrk):
http = GET /, GET /users/12345, GET /json among 100 routes, wrk -t1 -c50 -d5s (--quick: -d1s) per
route after a 1 s warm-up, for raw node:http, aiots/web, Fastify, Hono, Express, aiohttp (+ uvloop);
also writes bench/results/http.svg. http-idle = 10 000 idle keep-alive connections (--quick: 1 000),
server RSS per connection, raw node:http vs aiots/web (and aiohttp + uvloop). static = a 1 KiB and a
1 MiB file, wrk -t1 -c50 -d3s each (--quick: -d1s): aiots router.addStatic vs raw node:http
createReadStream().pipe(res) and @fastify/static. upload = one 100 MiB multipart file part (--quick:
10 MiB) streamed to disk: aiots request.multipart() vs @fastify/busboy on raw node:http; MiB/s and the
server's RSS growth. client = 20 000 keep-alive GETs (--quick: 2 000), sequential and 50 in flight,
against a raw node:http hello world on the other core: aiots ClientSession vs undici 7 request()
(baseline), undici 8, global fetch, node:http with a keep-alive Agent, axios, aiohttp + uvloop.`;

// ---------------------------------------------------------------------------------------------- options

function parseOptions(argv) {
  const o = {
    rounds: null,
    quick: false,
    cases: null,
    skip: new Set(),
    cpu: 0,
    clientCpu: null,
    node: null,
    timeout: 300,
    build: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes("=") ? a.split(/=(.*)/s, 2) : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) fail(`${flag} needs a value`);
      return v;
    };
    const int = (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) fail(`${flag}: not a whole number: ${v}`);
      return n;
    };
    switch (flag) {
      case "--help":
      case "-h":
        console.log(USAGE);
        process.exit(0);
        break;
      case "--rounds":
        o.rounds = int(value());
        if (o.rounds < 1) fail("--rounds must be at least 1");
        break;
      case "--quick":
        o.quick = true;
        break;
      case "--case":
      case "--cases":
        o.cases = value().split(",").filter(Boolean);
        break;
      case "--skip":
        for (const s of value().split(",")) if (s) o.skip.add(s);
        break;
      case "--cpu":
        o.cpu = int(value());
        break;
      case "--client-cpu":
        o.clientCpu = int(value());
        break;
      case "--node":
        o.node = resolve(value());
        break;
      case "--python":
        PYTHON = value();
        break;
      case "--timeout":
        o.timeout = int(value());
        break;
      case "--no-build":
        o.build = false;
        break;
      default:
        fail(`unknown option ${a}\n\n${USAGE}`);
    }
  }
  if (o.rounds === null) o.rounds = o.quick ? 1 : 3;
  if (o.clientCpu === null) o.clientCpu = os.cpus().length > 1 ? (o.cpu + 1) % os.cpus().length : o.cpu;
  return o;
}

function fail(msg) {
  console.error(`bench: ${msg}`);
  process.exit(2);
}

// ------------------------------------------------------------------------------------------ preparation

function run(cmd, args, cwd) {
  console.log(`$ (cd ${relative(process.cwd(), cwd) || "."} && ${cmd} ${args.join(" ")})`);
  const r = spawnSync(cmd, args, { cwd, stdio: "inherit" });
  return r.status === 0;
}

/** The peers bench/package.json lists → their installed version (null when not installed). */
function peerVersions() {
  const deps = Object.keys(JSON.parse(readFileSync(join(HERE, "package.json"), "utf8")).dependencies ?? {});
  const versions = {};
  for (const name of deps) {
    try {
      versions[name] = JSON.parse(
        readFileSync(join(HERE, "node_modules", name, "package.json"), "utf8"),
      ).version;
    } catch {
      versions[name] = null;
    }
  }
  return versions;
}

function installBenchDeps() {
  // Also when a peer was added to package.json after bench/node_modules was made.
  if (Object.values(peerVersions()).every((v) => v !== null)) return;
  const ok = existsSync(join(HERE, "package-lock.json"))
    ? run("npm", ["ci", "--no-audit", "--no-fund"], HERE)
    : run("npm", ["install", "--no-audit", "--no-fund"], HERE);
  if (!ok) console.warn("bench: installing bench/ dependencies failed; peers that need them are skipped");
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function buildLibrary(opts) {
  const distIndex = join(ROOT, "dist", "index.js");
  if (!opts.build) {
    if (!existsSync(distIndex)) fail("dist/index.js is missing and --no-build was given");
    return "not rebuilt (--no-build)";
  }
  let reason = null;
  if (!existsSync(distIndex)) reason = "dist/ is missing";
  else {
    const built = statSync(distIndex).mtimeMs;
    const inputs = [newestMtime(join(ROOT, "src"))];
    for (const f of ["tsconfig.json", "tsconfig.build.json", "package.json"])
      if (existsSync(join(ROOT, f))) inputs.push(statSync(join(ROOT, f)).mtimeMs);
    if (Math.max(...inputs) > built) reason = "dist/ is older than src/";
  }
  if (reason === null) return "up to date";
  console.log(`bench: building the library (${reason})`);
  if (!run("npm", ["run", "build"], ROOT))
    fail("`npm run build` failed; fix the build or pass --no-build to measure the existing dist/");
  return `rebuilt (${reason})`;
}

function probe(cmd, args) {
  try {
    const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 30_000 });
    return r.status === 0 ? r.stdout.trim() : null;
  } catch {
    return null;
  }
}

function detectEnvironment(opts) {
  const pinned = join(ROOT, "node_modules", ".bin", "node");
  const node = opts.node ?? (existsSync(pinned) ? pinned : process.execPath);
  const nodeVersion = probe(node, ["--version"]);
  if (nodeVersion === null) fail(`cannot run node binary ${node}`);
  const python = existsSync(PYTHON)
    ? probe(PYTHON, ["-c", "import platform; print(platform.python_version())"])
    : null;
  const uvloop = python === null ? null : probe(PYTHON, ["-c", "import uvloop; print(uvloop.__version__)"]);
  const peers = peerVersions();
  const taskset = probe("taskset", ["-c", String(opts.cpu), "true"]) !== null;
  if (!taskset)
    console.warn("bench: taskset is unavailable (or the core does not exist): processes run unpinned");
  return {
    node,
    nodeVersion,
    python,
    uvloop,
    effection: peers.effection,
    peers,
    taskset,
    cpu: opts.cpu,
    cpuModel: os.cpus()[0]?.model ?? "?",
    cores: os.cpus().length,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    loadavg: os.loadavg(),
  };
}

// ---------------------------------------------------------------------------------------------- cases

const FULL = {
  gather: 100_000,
  sleep0: 250_000,
  waitfor: 100_000,
  queue: 1_000_000,
  semaphore: 100_000,
  lock: 100_000,
  executor: 10_000,
  tracking: 200_000,
  streams: 1_000_000,
  rtt: 100_000,
  idle: 10_000,
  router: 1_000_000,
  http: 5, // seconds of wrk per route
  "http-idle": 10_000,
  static: 3, // seconds of wrk per file
  upload: 100, // MiB
  ws: 5, // seconds of WebSocket echo load
  client: 20_000, // keep-alive GETs per mode (sequential, 50 in flight)
};
// The streams load generator writes this many 64-byte lines per socket write (64 KiB): with smaller
// writes the corked node:net baseline turns bimodal here (see /work/shared/BENCHMARKS.md).
const LINES_PER_WRITE = 1024;
// Too short to measure at 1/10 (200 000 native awaits take ~7 ms): --quick keeps the full size.
const QUICK_KEEPS_SIZE = new Set(["tracking"]);

function defineCases(opts, env) {
  const scale = opts.quick ? 0.1 : 1;
  const size = (k) => Math.round(FULL[k] * (QUICK_KEEPS_SIZE.has(k) ? 1 : scale));
  const noPython = `skipped (not installed: apt-get install python3 python3-uvloop — needs ${PYTHON})`;
  const pyAvailable = env.python === null ? noPython : null;
  const uvAvailable = pyAvailable ?? (env.uvloop === null ? `skipped (not installed: ${APT_HINT})` : null);
  const peerAvailable = (name) =>
    env.peers[name] ? null : `skipped (${name} not installed: npm ci in bench/)`;
  const peerLabel = (name, what) => `${name} ${env.peers[name] ?? "?"} ${what}`;
  const effAvailable = peerAvailable("effection");
  const nodeC = (script, id, label, n, extra = {}) => ({
    id,
    label,
    n,
    cmd: env.node,
    args: ["--expose-gc", `cases/${script}.mjs`, id.replace(/-\d+k$/, ""), String(n)],
    ...extra,
  });
  const pyC = (script, id, label, n, unavailable) => ({
    id,
    label,
    n,
    cmd: PYTHON,
    args: [`cases/${script}.py`, id === "cpython" ? "asyncio" : "uvloop", String(n)],
    unavailable,
  });

  const gN = size("gather");
  const gather = {
    id: "gather",
    title: `gather: ${fmtInt(gN)} trivial tasks (and ${fmtInt(gN)} started promises)`,
    unit: "tasks/s",
    contenders: [
      nodeC("gather", "promise", "Promise.all (raw Node)", gN, { baseline: true }),
      // The floor of a task in this design: one AsyncLocalStorage.run + one AbortController per item.
      nodeC("gather", "task-floor", "task floor: Promise.all(als.run + AbortController)", gN, {
        short: "task floor",
      }),
      // The floor of asyncio's scheduling order on Node (a minimal scheduler, see cases/gather.mjs).
      nodeC("gather", "order-floor", "floor of CPython's order: minimal scheduler", gN, { vs: "task-floor" }),
      // The same scheduler with CPython's per-task state and a done callback per child.
      nodeC("gather", "state-floor", "order-floor + CPython's task state", gN, { vs: "task-floor" }),
      nodeC("gather", "aiots", "aiots gather(createTask)", gN, { vs: "task-floor" }),
      // The task floor and aiots after 3 warm-up runs instead of 1: a long-running process's steady state.
      nodeC("gather", "task-floor-steady", "task floor, steady (3 warm-ups)", gN, {
        short: "task floor, steady",
      }),
      nodeC("gather", "aiots-steady", "aiots gather(createTask), steady (3 warm-ups)", gN, {
        vs: "task-floor-steady",
      }),
      nodeC("gather", "aiots-promises", "aiots gather(started promises), no tasks", gN),
      nodeC("gather", "effection", `Effection ${env.effection ?? "4"} spawn/all ×${fmtK(gN)}`, gN, {
        unavailable: effAvailable,
        // 100 000 Effection tasks take ~1 min and GBs of memory: one sample is plenty for a peer that slow.
        maxRounds: 1,
      }),
      ...(gN > 10_000
        ? [
            nodeC("gather", "effection-10k", `Effection ${env.effection ?? "4"} spawn/all ×10k`, 10_000, {
              unavailable: effAvailable,
            }),
          ]
        : []),
      pyC("gather", "cpython", "CPython asyncio", gN, pyAvailable),
      pyC("gather", "uvloop", "CPython + uvloop", gN, uvAvailable),
    ],
    targets: [
      { contender: "aiots", vs: "task-floor", min: 0.6 },
      { contender: "aiots-steady", vs: "task-floor-steady", min: 0.6 },
      { contender: "aiots-promises", vs: "promise", min: 0.5 },
      { contender: "aiots", vs: "cpython", min: 10 },
    ],
    sampleText: threadCpuText,
    notes: threadCpuNotes,
  };

  const sN = size("sleep0");
  const sleep0 = {
    id: "sleep0",
    title: `sleep(0) ping-pong: 2 tasks × ${fmtInt(sN)} yields`,
    unit: "yields/s",
    contenders: [
      nodeC("sleep0", "setimmediate", "await setImmediate (raw Node)", sN, { baseline: true }),
      nodeC("sleep0", "aiots", "aiots async fn, sleep(0)", sN),
      nodeC("sleep0", "aiots-gen", "aiots generator, bare yield", sN),
      pyC("sleep0", "cpython", "CPython asyncio", sN, pyAvailable),
      pyC("sleep0", "uvloop", "CPython + uvloop", sN, uvAvailable),
    ],
    targets: [
      { contender: "aiots", vs: "setimmediate", min: 1.0 },
      { contender: "aiots", vs: "uvloop", min: 2 },
      { contender: "aiots-gen", vs: "setimmediate", min: 1.0 },
      { contender: "aiots-gen", vs: "uvloop", min: 2 },
    ],
  };

  const wN = size("waitfor");
  const waitfor = {
    id: "waitfor",
    title: `waitFor timeouts: ${fmtInt(wN)} × waitFor(sleep(10), 0.05), all time out`,
    unit: "timeouts/s",
    memory: true,
    contenders: [
      nodeC("waitfor", "node", "setTimeout race (raw Node)", wN, { baseline: true }),
      nodeC("waitfor", "aiots", "aiots waitFor", wN),
      pyC("waitfor", "cpython", "CPython asyncio.wait_for", wN, pyAvailable),
      pyC("waitfor", "uvloop", "CPython + uvloop wait_for", wN, uvAvailable),
    ],
    targets: [],
  };

  const qN = size("queue");
  const queue = {
    id: "queue",
    title: `bounded queue: ${fmtInt(qN)} items through maxsize 100, 1 producer + 1 consumer (two created tasks, or a created producer + run()'s main task consuming)`,
    unit: "items/s",
    contenders: [
      nodeC("queue", "plain", "plain async queue (raw Node)", qN, { baseline: true }),
      nodeC("queue", "plain-lazy", "the same queue, lazy get/put thenables (floor of a lazy op)", qN),
      nodeC("queue", "aiots", "aiots Queue, async fn await, 2 tasks", qN),
      nodeC("queue", "aiots-gen", "aiots Queue, generator yield*, 2 tasks", qN),
      nodeC("queue", "aiots-main", "aiots Queue, async fn await, task → main task", qN),
      nodeC("queue", "aiots-gen-main", "aiots Queue, generator yield*, task → main task", qN),
      pyC("queues", "cpython", "CPython asyncio.Queue", qN, pyAvailable),
      pyC("queues", "uvloop", "CPython + uvloop", qN, uvAvailable),
    ],
    targets: [
      { contender: "aiots", vs: "plain", min: 0.6 },
      { contender: "aiots", vs: "cpython", min: 3 },
      { contender: "aiots-gen", vs: "plain", min: 0.6 },
      { contender: "aiots-gen", vs: "cpython", min: 3 },
      { contender: "aiots-main", vs: "plain", min: 0.6 },
      { contender: "aiots-gen-main", vs: "plain", min: 0.6 },
    ],
    sampleText: threadCpuText,
    notes: threadCpuNotes,
  };

  const smN = size("semaphore");
  const semaphore = {
    id: "semaphore",
    title: `semaphore: ${fmtInt(smN)} trivial jobs, 10 at a time`,
    unit: "jobs/s",
    contenders: [
      nodeC("semaphore", "plimit", peerLabel("p-limit", "(10)"), smN, {
        baseline: true,
        unavailable: peerAvailable("p-limit"),
      }),
      nodeC("semaphore", "aiots", "aiots Semaphore acquire/release", smN),
      nodeC("semaphore", "aiots-hold", "aiots Semaphore await using hold()", smN),
      nodeC("semaphore", "aiots-coro", "aiots Semaphore, gather(coroutine() jobs)", smN),
      pyC("semaphore", "cpython", "CPython asyncio.Semaphore", smN, pyAvailable),
      pyC("semaphore", "uvloop", "CPython + uvloop", smN, uvAvailable),
    ],
    targets: [
      { contender: "aiots", vs: "plimit", min: 1.0 },
      { contender: "aiots-coro", vs: "plimit", min: 1.0 },
    ],
  };

  const lN = size("lock");
  const lock = {
    id: "lock",
    title: `lock: 10 tasks, ${fmtInt(lN)} acquire/release pairs, critical section awaits once`,
    unit: "pairs/s",
    contenders: [
      nodeC("lock", "async-mutex", peerLabel("async-mutex", "runExclusive"), lN, {
        baseline: true,
        unavailable: peerAvailable("async-mutex"),
      }),
      nodeC("lock", "aiots", "aiots Lock acquire/release", lN),
      nodeC("lock", "aiots-hold", "aiots Lock await using hold()", lN),
      pyC("lock", "cpython", "CPython asyncio.Lock", lN, pyAvailable),
      pyC("lock", "uvloop", "CPython + uvloop", lN, uvAvailable),
    ],
    // "ahead of async-mutex": > 1.0×, checked as ≥ 1.0× like the other targets.
    targets: [{ contender: "aiots", vs: "async-mutex", min: 1.0 }],
  };

  const xN = size("executor");
  const executor = {
    id: "executor",
    title: `executor: ${fmtInt(xN)} small jobs (sum of 100 numbers) on 2 worker threads`,
    unit: "jobs/s",
    perOp: { label: "µs/job", scale: 1e6 },
    contenders: [
      nodeC("executor", "piscina", peerLabel("piscina", "pool.run"), xN, {
        baseline: true,
        unavailable: peerAvailable("piscina"),
      }),
      nodeC("executor", "aiots", "aiots runInExecutor(ThreadPoolExecutor)", xN),
    ],
    targets: [],
    notes: (contenders) => {
      const [p, a] = ["piscina", "aiots"].map((id) => contenders.find((c) => c.id === id));
      if (!p?.median || !a?.median) return [];
      return [`overhead per job (1/aiots − 1/piscina): ${fmtUs(1e6 / a.median - 1e6 / p.median)} µs`];
    },
  };

  const tN = size("tracking");
  const tracking = {
    id: "tracking",
    title: `task tracking: ${fmtInt(tN)} × await of an already-resolved value in one task`,
    unit: "awaits/s",
    perOp: { label: "ns/await", scale: 1e9 },
    contenders: [
      nodeC("tracking", "promise", "resolved Promise, no loop (raw Node)", tN, { baseline: true }),
      nodeC("tracking", "promise-task", "resolved Promise in an aiots task", tN),
      nodeC("tracking", "aiots", "resolved aiots Future in an aiots task", tN),
    ],
    targets: [],
    notes: (contenders) => {
      const p = contenders.find((c) => c.id === "promise");
      if (!p?.median) return [];
      const extra = (id) => {
        const c = contenders.find((k) => k.id === id);
        return c?.median ? `${fmtUs(1e9 / c.median - 1e9 / p.median)} ns` : "—";
      };
      return [
        `per await over a native one, node ${env.nodeVersion}: inside a task (AsyncLocalStorage active) ` +
          `${extra("promise-task")}; aiots Future ${extra("aiots")}`,
      ];
    },
  };

  // Streams: the server runs pinned to --cpu, the load generator (a raw node:net client, the same for
  // every server) pinned to --client-cpu.
  const streamC = (server, label, mode, n, extra = {}) => ({
    id: server,
    label,
    n,
    cmd: env.node,
    args: [
      "cases/streams.mjs",
      server,
      mode,
      String(n),
      ...(mode === "pipelined" ? [String(LINES_PER_WRITE)] : []),
    ],
    cpu: opts.clientCpu,
    env: { BENCH_SERVER_CPU: String(opts.cpu), BENCH_PYTHON: PYTHON },
    ...extra,
  });
  const streamContenders = (mode, n) => [
    streamC("net-cork", "node:net, corked per chunk", mode, n, { baseline: true }),
    streamC("net-batch", "node:net, one concat+write per chunk", mode, n),
    streamC("net-write", "node:net, one write per line", mode, n),
    streamC("net-raw", "node:net byte echo (no lines)", mode, n),
    streamC("net-async", "node:net, async fn awaiting 2 resolved promises/line (floor)", mode, n),
    streamC("aiots", "aiots streams, async fn", mode, n),
    streamC("aiots-gen", "aiots streams, generator", mode, n),
    streamC("cpython", "CPython asyncio streams", mode, n, { unavailable: pyAvailable }),
    streamC("uvloop", "CPython + uvloop streams", mode, n, { unavailable: uvAvailable }),
  ];
  const stN = size("streams");
  const streams = {
    id: "streams",
    title: `line echo: ${fmtInt(stN)} pipelined 64-byte lines over one connection (readline + write + drain), client writing ${fmtInt(LINES_PER_WRITE)} lines (${(LINES_PER_WRITE * 64) / 1024} KiB) per write`,
    unit: "lines/s",
    contenders: streamContenders("pipelined", stN),
    targets: [
      { contender: "aiots", vs: "net-cork", min: 0.8 },
      { contender: "aiots", vs: "uvloop", min: 4 },
      { contender: "aiots-gen", vs: "net-cork", min: 0.8 },
      { contender: "aiots-gen", vs: "uvloop", min: 4 },
    ],
  };
  const rN = size("rtt");
  const rtt = {
    id: "rtt",
    // Single rounds swing ±30 % here: the target is a median of at least 5 (not with --quick).
    minRounds: opts.quick ? undefined : 5,
    title: `line echo: ${fmtInt(rN)} request/response round trips of one 64-byte line`,
    unit: "round trips/s",
    contenders: streamContenders("rtt", rN).map((c) =>
      c.id === "net-write" ? { ...c, baseline: true } : { ...c, baseline: false },
    ),
    targets: [
      { contender: "aiots", vs: "net-write", min: 0.95 },
      { contender: "aiots-gen", vs: "net-write", min: 0.95 },
    ],
    sampleText: (r) =>
      r.serverCpuUsPerOp == null ? "" : `server CPU ${r.serverCpuUsPerOp.toFixed(1)} µs/round trip`,
    notes: serverCpuNotes("net-write", "round trip"),
  };
  const iN = size("idle");
  const idle = {
    id: "idle",
    title: `idle connections: ${fmtInt(iN)} held open by one echo server`,
    unit: "connections/s set up",
    contenders: streamContenders("idle", iN).filter(
      (c) => !["net-cork", "net-raw", "net-batch"].includes(c.id),
    ),
    targets: [
      { contender: "aiots", metric: "bytesPerConn", max: 8 * 1024, what: "server RSS per idle connection" },
      {
        contender: "aiots-gen",
        metric: "bytesPerConn",
        max: 8 * 1024,
        what: "server RSS per idle connection",
      },
    ],
    notes: (contenders) =>
      contenders
        .filter((c) => c.samples.length > 0)
        .map(
          (c) =>
            `${c.label}: server RSS +${(median(c.samples.map((s) => s.bytesPerConn)) / 1024).toFixed(1)} KB per connection` +
            (c.samples[0].heapPerConn
              ? `, JS heap +${(median(c.samples.map((s) => s.heapPerConn)) / 1024).toFixed(1)} KB`
              : ""),
        ),
  };
  idle.contenders[0].baseline = true;

  // Router: one contender per implementation × table size; the baseline is find-my-way at 10 routes.
  const roN = size("router");
  const routerC = (impl, routes, label, extra = {}) => ({
    id: `${impl}-${routes}`,
    label: `${label}, ${fmtInt(routes)} routes`,
    n: roN,
    cmd: env.node,
    args: ["--expose-gc", "cases/router.mjs", `${impl}-${routes}`, String(roN)],
    ...extra,
  });
  const ROUTER_SIZES = [10, 100, 1000];
  const router = {
    id: "router",
    title: `router lookup: ${fmtInt(roN)} lookups spread over 10 / 100 / 1 000 routes (static, {param}, shared prefix, regex)`,
    unit: "lookups/s",
    perOp: { label: "ns/lookup", scale: 1e9 },
    contenders: [
      ...ROUTER_SIZES.map((k) =>
        routerC("find-my-way", k, peerLabel("find-my-way", "find()"), {
          baseline: k === 10,
          unavailable: peerAvailable("find-my-way"),
        }),
      ),
      ...ROUTER_SIZES.map((k) => routerC("aiots", k, "aiots RouteMatcher.match()")),
    ],
    targets: [],
    notes: (contenders) => {
      const ns = (id) => {
        const c = contenders.find((k) => k.id === id);
        return c?.median ? 1e9 / c.median : null;
      };
      return ["aiots", "find-my-way"].map((impl) => {
        const [a, b, c] = ROUTER_SIZES.map((k) => ns(`${impl}-${k}`));
        const ratio = a && c ? `${(c / a).toFixed(2)}×` : "—";
        const f = (x) => (x === null ? "—" : fmtPerOp(x));
        return `${impl}: ${f(a)} / ${f(b)} / ${f(c)} ns per lookup at 10 / 100 / 1 000 routes; 1000/10 = ${ratio}`;
      });
    },
  };

  let cases = [
    gather,
    sleep0,
    waitfor,
    queue,
    semaphore,
    lock,
    executor,
    tracking,
    streams,
    rtt,
    idle,
    router,
    ...httpCases({
      opts,
      env,
      python: PYTHON,
      size,
      pyAvailable,
      uvAvailable,
      peerAvailable,
      fmt: { median, fmtInt, fmtRate, fmtRatio, table },
    }),
    ...fileCases({ opts, env, size, peerAvailable, fmt: { median, fmtRate, fmtRatio } }),
    wsCase({
      opts,
      env,
      python: PYTHON,
      size,
      uvAvailable,
      peerAvailable,
      fmt: { median, fmtRate, fmtRatio },
    }),
    clientCase({
      opts,
      env,
      python: PYTHON,
      size,
      uvAvailable,
      peerAvailable,
      fmt: { median, fmtInt, fmtRate, fmtRatio, table },
    }),
  ];
  if (opts.cases !== null) {
    for (const c of opts.cases)
      if (!cases.some((k) => k.id === c))
        fail(`unknown case ${c} (known: ${cases.map((k) => k.id).join(", ")})`);
    cases = cases.filter((k) => opts.cases.includes(k.id));
  }
  for (const c of cases) {
    c.contenders = c.contenders.filter((k) => !opts.skip.has(k.id));
    c.targets = c.targets.filter((t) => !opts.skip.has(t.contender) && !opts.skip.has(t.vs));
  }
  return cases;
}

// -------------------------------------------------------------------------------------------- running

function runChild(contender, opts, env) {
  const cpu = contender.cpu ?? opts.cpu;
  const [cmd, args] = env.taskset
    ? ["taskset", ["-c", String(cpu), contender.cmd, ...contender.args]]
    : [contender.cmd, contender.args];
  const childEnv = { ...process.env, ...contender.env, ...(env.taskset ? {} : { BENCH_NO_TASKSET: "1" }) };
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd: HERE, stdio: ["ignore", "pipe", "pipe"], env: childEnv });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr = (stderr + d).slice(-20_000);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeout * 1000);
    child.on("error", (err) => {
      clearTimeout(timer);
      resolvePromise({ ok: false, status: `failed (${err.message})` });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const line = stdout
        .trim()
        .split("\n")
        .reverse()
        .find((l) => l.startsWith("{"));
      if (code === 0 && line !== undefined) {
        try {
          resolvePromise({ ok: true, result: JSON.parse(line) });
          return;
        } catch {}
      }
      resolvePromise({ ok: false, status: classifyFailure({ code, signal, stderr, timedOut, opts }) });
    });
  });
}

function classifyFailure({ code, signal, stderr, timedOut, opts }) {
  if (timedOut) return `timeout (> ${opts.timeout} s)`;
  if (
    /heap out of memory|Allocation failed|invalid array length|MemoryError|Cannot allocate memory/i.test(
      stderr,
    )
  )
    return "OOM";
  if (signal === "SIGKILL") return "OOM (killed by SIGKILL)";
  const last = stderr.trim().split("\n").filter(Boolean).pop() ?? "";
  return `failed (${signal ?? `exit ${code}`}${last ? `: ${last.slice(0, 120)}` : ""})`;
}

async function runCase(kase, opts, env) {
  const state = kase.contenders.map((c) => ({ ...c, samples: [], status: c.unavailable ?? null }));
  const rounds = Math.max(opts.rounds, kase.minRounds ?? 0);
  for (let round = 1; round <= rounds; round++) {
    for (const c of state) {
      if (c.status !== null) continue; // skipped, or failed in an earlier round
      if (c.maxRounds !== undefined && c.samples.length >= c.maxRounds) continue;
      process.stdout.write(`round ${round}/${rounds}: ${kase.id} ${c.id} (n=${fmtInt(c.n)}) … `);
      const r = await runChild(c, opts, env);
      if (r.ok) {
        c.samples.push(r.result);
        const mem = kase.memory ? `, peak RSS ${fmtMB(r.result.peakRss)}` : "";
        const sample = kase.sampleText?.(r.result) ?? "";
        const more = sample ? `; ${sample}` : "";
        console.log(`${fmtRate(r.result.opsPerSec)} ${kase.unit} (${fmtMs(r.result.ms)}${mem}${more})`);
      } else {
        c.status = r.status;
        console.log(r.status);
      }
    }
  }
  const out = summarise(kase, state);
  out.rounds = rounds;
  kase.extend?.(out); // per-case figures beyond one rate per contender (http: per route)
  return out;
}

function summarise(kase, state) {
  const contenders = state.map((c) => {
    const ok = c.samples.length > 0;
    const rates = c.samples.map((s) => s.opsPerSec);
    const med = (key) => (ok && c.samples[0][key] != null ? median(c.samples.map((s) => s[key])) : null);
    return {
      id: c.id,
      label: c.label,
      short: c.short ?? c.label,
      vs: c.vs ?? null,
      n: c.n,
      baseline: c.baseline === true,
      status: ok ? (c.status === null ? "ok" : `ok (then ${c.status})`) : (c.status ?? "no samples"),
      runtime: ok ? c.samples[0].runtime : null,
      samples: c.samples,
      median: ok ? median(rates) : null,
      min: ok ? Math.min(...rates) : null,
      max: ok ? Math.max(...rates) : null,
      medianMs: med("ms"),
      peakRss: med("peakRss"),
      deltaRss:
        ok && c.samples[0].startRss != null ? median(c.samples.map((s) => s.peakRss - s.startRss)) : null,
      peakHeapUsed: med("peakHeapUsed"),
    };
  });
  const base = contenders.find((c) => c.baseline);
  for (const c of contenders) {
    // A contender may be compared with another one than the case's baseline (gather: aiots tasks
    // against the task floor); its ratio column says which.
    const ref = c.vs === null ? base : contenders.find((k) => k.id === c.vs);
    c.ratio = c.median !== null && ref?.median ? c.median / ref.median : null;
    c.ratioVs = c.vs === null ? null : (ref?.short ?? c.vs);
  }
  const targets = kase.targets.map((t) => {
    if (t.metric !== undefined) {
      // An absolute limit on a per-sample figure (idle: bytes of server RSS per connection).
      const a = contenders.find((c) => c.id === t.contender);
      const value =
        a && a.samples.length > 0 && a.samples[0][t.metric] != null
          ? median(a.samples.map((s) => s[t.metric]))
          : null;
      return {
        text: `${t.contender} ${t.what} ≤ ${(t.max / 1024).toFixed(0)} KB`,
        contender: t.contender,
        metric: t.metric,
        max: t.max,
        value,
        met: value === null ? null : value <= t.max,
      };
    }
    const a = contenders.find((c) => c.id === t.contender);
    const b = contenders.find((c) => c.id === t.vs);
    const ratio = a?.median && b?.median ? a.median / b.median : null;
    return {
      text: `${t.contender} ≥ ${t.min}× ${b?.label ?? t.vs}`,
      contender: t.contender,
      vs: t.vs,
      min: t.min,
      ratio,
      met: ratio === null ? null : ratio >= t.min,
    };
  });
  if (kase.perOp) for (const c of contenders) c.perOp = c.median ? kase.perOp.scale / c.median : null;
  return {
    id: kase.id,
    title: kase.title,
    unit: kase.unit,
    memory: kase.memory === true,
    perOp: kase.perOp?.label ?? null,
    contenders,
    targets,
    notes: kase.notes?.(contenders) ?? [],
  };
}

// ------------------------------------------------------------------------------------------- printing

/**
 * The measured run's CPU time on the main thread and on the process's other threads (V8's compiler
 * and GC helpers), when the case reports them (cases/_common.mjs threadCpu). Every contender is pinned
 * to one core, so the other threads' time is time the main thread waited: a cold run that optimizes
 * much code shows here (bench/README.md).
 */
function threadCpuText(result) {
  if (result.mainCpuMs == null) return "";
  return `CPU: main thread ${fmtMs(result.mainCpuMs)}, other threads ${fmtMs(result.otherCpuMs)}`;
}

/**
 * The servers' CPU time per operation (cases/streams.mjs), and each one's ratio to `baseId`'s as a
 * throughput would give it if the server's core were the bottleneck (baseline CPU / its CPU). When the
 * loopback's latency bounds every server alike, this is the figure that still tells them apart.
 */
function serverCpuNotes(baseId, what) {
  return (contenders) => {
    const cpu = (c) =>
      c && c.samples.length > 0 && c.samples[0].serverCpuUsPerOp != null
        ? median(c.samples.map((s) => s.serverCpuUsPerOp))
        : null;
    const base = cpu(contenders.find((c) => c.id === baseId));
    const rows = [];
    for (const c of contenders) {
      const v = cpu(c);
      if (v === null) continue;
      const ratio = base === null ? "" : ` (${(base / v).toFixed(2)}× ${baseId} by CPU)`;
      rows.push(`${c.short}: server CPU ${v.toFixed(1)} µs per ${what}${ratio}`);
    }
    return rows;
  };
}

function threadCpuNotes(contenders) {
  const rows = [];
  for (const c of contenders) {
    if (c.samples.length === 0 || c.samples[0].mainCpuMs == null) continue;
    const main = median(c.samples.map((s) => s.mainCpuMs));
    const other = median(c.samples.map((s) => s.otherCpuMs));
    rows.push(`measured run's CPU, ${c.short}: main thread ${fmtMs(main)}, other threads ${fmtMs(other)}`);
  }
  return rows;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmtInt(n) {
  return n.toLocaleString("en-US").replace(/,/g, " ");
}
function fmtK(n) {
  return n % 1000 === 0 ? `${n / 1000}k` : String(n);
}
function fmtRate(x) {
  if (x == null) return "—";
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(x >= 1e5 ? 0 : 1)} k`;
  return x.toFixed(0);
}
function fmtMs(ms) {
  return ms == null ? "—" : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}
function fmtUs(x) {
  return `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(Math.abs(x) >= 10 ? 1 : 2)}`;
}
function fmtPerOp(x) {
  return x == null ? "—" : x >= 100 ? x.toFixed(0) : x.toFixed(x >= 10 ? 1 : 2);
}
function fmtMB(b) {
  return b == null ? "—" : `${(b / 2 ** 20).toFixed(0)} MB`;
}
function fmtRatio(r) {
  if (r == null) return "—";
  return `${r >= 10 ? r.toFixed(1) : r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}×`;
}

/** The ratio column: to the case's baseline, or `0.62× vs task floor` for a contender with its own. */
function fmtVsRatio(c) {
  return c.ratioVs === null || c.ratio === null ? fmtRatio(c.ratio) : `${fmtRatio(c.ratio)} vs ${c.ratioVs}`;
}

function table(headers, rows, alignRight = []) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells
      .map((c, i) => (alignRight.includes(i) ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function printCase(r, opts) {
  const base = r.contenders.find((c) => c.baseline);
  console.log(`\n== ${r.title} — ${r.unit}, median of ${r.rounds ?? opts.rounds} round(s) ==`);
  const headers = ["contender", `median ${r.unit}`, "min–max", "time", `vs ${base?.label ?? "baseline"}`];
  if (r.perOp) headers.push(r.perOp);
  if (r.memory) headers.push("peak RSS", "Δ RSS", "peak heap");
  headers.push("status");
  const rows = r.contenders.map((c) => {
    const row = [
      c.baseline ? `${c.label} [baseline]` : c.label,
      fmtRate(c.median),
      c.median === null ? "—" : `${fmtRate(c.min)}–${fmtRate(c.max)}`,
      fmtMs(c.medianMs),
      fmtVsRatio(c),
    ];
    if (r.perOp) row.push(fmtPerOp(c.perOp));
    if (r.memory) row.push(fmtMB(c.peakRss), fmtMB(c.deltaRss), fmtMB(c.peakHeapUsed));
    row.push(c.status);
    return row;
  });
  const right = [1, 3, 4, ...Array.from({ length: headers.length - 6 }, (_, i) => 5 + i)];
  console.log(table(headers, rows, right));
  for (const t of r.targets) console.log(`target: ${t.text}: ${fmtTarget(t)}`);
  for (const note of r.notes) console.log(note);
}

function fmtTarget(t) {
  if (t.metric !== undefined) {
    if (t.value === null) return "n/a (no figure)";
    return `${(t.value / 1024).toFixed(1)} KB ${t.met ? "✓ met" : "✗ missed"}`;
  }
  if (t.ratio === null) return "n/a (a contender has no figure)";
  return `${fmtRatio(t.ratio)} ${t.met ? "✓ met" : "✗ missed"}`;
}

function printSummary(results, env, opts) {
  console.log(`\n==== summary (${opts.quick ? "QUICK smoke run, " : ""}${opts.rounds} round(s)) ====`);
  const rows = [];
  for (const r of results)
    for (const c of r.contenders)
      rows.push([
        r.id,
        c.label,
        fmtInt(c.n),
        c.median === null ? "—" : `${fmtRate(c.median)} ${r.unit}`,
        c.baseline ? "1.00× (baseline)" : fmtVsRatio(c),
        c.status,
      ]);
  console.log(table(["case", "contender", "n", "median", "vs baseline", "status"], rows, [2, 3]));
  const targets = results.flatMap((r) => r.targets.map((t) => [r.id, t.text, fmtTarget(t)]));
  if (targets.length) console.log(`\n${table(["case", "target", "result"], targets)}`);
  for (const r of results) for (const note of r.notes) console.log(`${r.id}: ${note}`);
  console.log(
    `\nnode ${env.nodeVersion}, CPython ${env.python ?? "absent"}, uvloop ${env.uvloop ?? "absent"}, ` +
      `${Object.entries(env.peers)
        .map(([k, v]) => `${k} ${v ?? "absent"}`)
        .join(", ")}; ${env.taskset ? `pinned to core ${env.cpu}` : "unpinned"}; ` +
      `${env.cores} × ${env.cpuModel}; load average at start ${env.loadavg.map((x) => x.toFixed(2)).join(" ")}`,
  );
}

// ----------------------------------------------------------------------------------------------- main

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  installBenchDeps();
  const build = buildLibrary(opts);
  const env = detectEnvironment(opts);
  const cases = defineCases(opts, env);
  console.log(
    `bench: node ${env.nodeVersion} (${relative(ROOT, env.node) || env.node}), ` +
      `${env.python ? `CPython ${env.python}` : "no /usr/bin/python3"}, ` +
      `${env.uvloop ? `uvloop ${env.uvloop}` : "no uvloop"}, ` +
      `${Object.entries(env.peers)
        .map(([k, v]) => (v ? `${k} ${v}` : `no ${k}`))
        .join(", ")}; dist ${build}; ` +
      `${opts.rounds} round(s)${opts.quick ? ", --quick" : ""}`,
  );
  if (env.loadavg[0] > 0.5 * env.cores)
    console.warn(
      `bench: the machine is busy (load ${env.loadavg[0].toFixed(2)}): trust ratios, not absolutes`,
    );
  const started = new Date();
  const results = [];
  for (const kase of cases) {
    const r = await runCase(kase, opts, env);
    printCase(r, opts);
    results.push(r);
  }
  printSummary(results, env, opts);
  const outDir = join(HERE, "results");
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, "latest.json");
  const options = { ...opts, skip: [...opts.skip] };
  writeFileSync(
    out,
    `${JSON.stringify({ started: started.toISOString(), finished: new Date().toISOString(), options, env, results }, null, 2)}\n`,
  );
  console.log(`\nwrote ${relative(process.cwd(), out)}`);
  for (const r of results) {
    const file = cases.find((k) => k.id === r.id)?.artifacts?.(r, outDir); // http: bench/results/http.svg
    if (file) console.log(`wrote ${relative(process.cwd(), file)}`);
  }
}

await main();
