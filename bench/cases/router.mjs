// Router lookup: n lookups spread over a table of 10, 100 or 1 000 routes (¼ static paths, ¼ one
// {param} behind a distinct prefix, ¼ {param} under one shared prefix with a distinct fixed tail,
// ¼ a \d+ regex param). Reports lookups per second and ns per lookup (wall, and on-CPU time, which a
// busy machine disturbs less); the point is the 1000/10 ratio (does a lookup slow down as the table
// grows?), aiots' RouteMatcher beside find-my-way.
//
// Usage: node --expose-gc cases/router.mjs <aiots|find-my-way>-<10|100|1000> [n=1000000]
//        node cases/router.mjs            (standalone: every contender in its own process, a table)
// One warm-up run of the same size in the process (every answer checked), then one measured run.
// aiots comes from dist/ (npm run build); without it, from src/ through tsx.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { collect, parseArgs, report, timed } from "./_common.mjs";

const SIZES = [10, 100, 1000];
const IMPLS = ["aiots", "find-my-way"];
const CONTENDERS = IMPLS.flatMap((impl) => SIZES.map((size) => `${impl}-${size}`));
const REQUESTS = 4096; // distinct request paths cycled through, drawn from the table

/** The table: aiots pattern, find-my-way pattern, and a request path that hits the route. */
function table(size) {
  const rows = [];
  for (let i = 0; i < size; i++) {
    switch (i % 4) {
      case 0:
        rows.push([`/static${i}/list`, `/static${i}/list`, `/static${i}/list`]);
        break;
      case 1:
        rows.push([`/users${i}/{id}`, `/users${i}/:id`, `/users${i}/u${i}`]);
        break;
      case 2:
        rows.push([`/shared/{id}/item${i}`, `/shared/:id/item${i}`, `/shared/s${i}/item${i}`]);
        break;
      default:
        rows.push([`/regex${i}/{id:\\d+}`, `/regex${i}/:id(^\\d+$)`, `/regex${i}/${i}`]);
    }
  }
  return rows;
}

/** Request paths (route index, path), spread evenly over the table in a fixed shuffled order. */
function requests(rows) {
  let s = 12345;
  const out = [];
  for (let k = 0; k < REQUESTS; k++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const i = s % rows.length;
    out.push([i, rows[i][2]]);
  }
  return out;
}

async function loadAiots() {
  try {
    return await import("../../dist/web/route-matcher.js");
  } catch (e) {
    if (e?.code !== "ERR_MODULE_NOT_FOUND") throw e;
    const { register } = await import("tsx/esm/api");
    register();
    process.stderr.write("router: dist/web/route-matcher.js missing, measuring src/ through tsx\n");
    return await import("../../src/web/route-matcher.ts");
  }
}

/** A `lookup(path) → route index` function over the table, for one implementation. */
async function build(impl, rows) {
  if (impl === "aiots") {
    const { RouteMatcher } = await loadAiots();
    const m = new RouteMatcher();
    rows.forEach(([pattern], i) => {
      m.add("GET", pattern, i);
    });
    return (path) => {
      const r = m.match("GET", path);
      return r.kind === "found" ? r.payload : -1;
    };
  }
  const { default: FindMyWay } = await import("find-my-way");
  const router = FindMyWay();
  const noop = () => {};
  rows.forEach(([, pattern], i) => {
    router.on("GET", pattern, noop, { i }); // a falsy store (route 0) would come back as null
  });
  return (path) => {
    const r = router.find("GET", path);
    return r === null ? -1 : r.store.i;
  };
}

function run(lookup, reqs, n) {
  let sum = 0;
  for (let k = 0; k < n; k++) sum += lookup(reqs[k % reqs.length][1]);
  return sum;
}

function expectedSum(reqs, n) {
  let sum = 0;
  for (let k = 0; k < n; k++) sum += reqs[k % reqs.length][0];
  return sum;
}

async function measure(contender, n) {
  const [, impl, sizeText] = /^(.*)-(\d+)$/.exec(contender);
  const size = Number(sizeText);
  const rows = table(size);
  const reqs = requests(rows);
  const lookup = await build(impl, rows);
  for (const [i, path] of reqs) {
    const got = lookup(path);
    if (got !== i) throw new Error(`${contender}: ${path} gave route ${got}, expected ${i}`);
  }
  const want = expectedSum(reqs, n);
  if (run(lookup, reqs, n) !== want) throw new Error("warm-up gave a wrong sum"); // warm-up
  collect();
  const cpu0 = process.cpuUsage();
  const { ms, value } = await timed(async () => run(lookup, reqs, n));
  const cpu = process.cpuUsage(cpu0); // on-CPU time: steadier than wall time on a busy machine
  if (value !== want) throw new Error("measured run gave a wrong sum");
  report({
    case: "router",
    contender,
    routes: size,
    n,
    ops: n,
    ms,
    opsPerSec: (n / ms) * 1000,
    nsPerLookup: (ms * 1e6) / n,
    cpuNsPerLookup: ((cpu.user + cpu.system) * 1e3) / n,
  });
}

/** Standalone: each contender in a fresh process, then ns/lookup and the 1000/10 ratios. */
function standalone(n) {
  const here = fileURLToPath(import.meta.url);
  const ns = {};
  const cpuNs = {};
  for (const c of CONTENDERS) {
    const r = spawnSync(process.execPath, ["--expose-gc", here, c, String(n)], { encoding: "utf8" });
    const line = r.stdout.trim().split("\n").pop();
    if (r.status !== 0 || !line?.startsWith("{")) {
      console.log(`${c}: failed\n${r.stderr}`);
      continue;
    }
    const result = JSON.parse(line);
    ns[c] = result.nsPerLookup;
    cpuNs[c] = result.cpuNsPerLookup;
  }
  console.log(`router lookup, ${n} lookups per contender, node ${process.version}: ns/lookup, wall (on-CPU)`);
  console.log(`${"routes".padEnd(8)}${IMPLS.map((i) => i.padStart(24)).join("")}`);
  const cell = (c) => (ns[c] === undefined ? "—" : `${ns[c].toFixed(1)} (${cpuNs[c].toFixed(1)})`);
  for (const size of SIZES)
    console.log(`${String(size).padEnd(8)}${IMPLS.map((i) => cell(`${i}-${size}`).padStart(24)).join("")}`);
  const ratio = (t, i) => (t[`${i}-1000`] && t[`${i}-10`] ? (t[`${i}-1000`] / t[`${i}-10`]).toFixed(2) : "—");
  console.log(
    `${"1000/10".padEnd(8)}${IMPLS.map((i) => `${ratio(ns, i)}× (${ratio(cpuNs, i)}×)`.padStart(24)).join("")}`,
  );
}

if (process.argv.length <= 2) standalone(1_000_000);
else {
  const { contender, n } = parseArgs(1_000_000, CONTENDERS);
  await measure(contender, n);
}
