// Runner side of the `client` case (bench/run.mjs imports this): its contenders, the per-mode medians,
// ratios and targets. The measurement itself is done by cases/client.mjs (the client, pinned to the
// client core; it starts cases/client_server.mjs, a raw node:http hello world, pinned to the server
// core; aiohttp's client runs as cases/client.py under Debian's CPython + uvloop).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MODES = [
  { id: "seq", label: "sequential" },
  { id: "c50", label: "50 in flight" },
];
const NO_SESSION = "unavailable (dist/client has no ClientSession yet — run npm run build)";

/**
 * The case definition. `ctx`: { opts, env, python, size(key), uvAvailable, peerAvailable(name),
 * fmt: { median, fmtInt, fmtRate, fmtRatio, table } } from run.mjs. Probes aiohttp into `env.aiohttp`
 * unless another case already did, and whether the built aiots/client has a ClientSession.
 */
export function clientCase(ctx) {
  const { opts, env, python, size, uvAvailable, peerAvailable, fmt } = ctx;
  const n = size("client");
  const c = (id, label, extra = {}) => ({
    id,
    label,
    n,
    cmd: env.node,
    args: ["--expose-gc", "cases/client.mjs", id, String(n)],
    cpu: opts.clientCpu,
    env: { BENCH_SERVER_CPU: String(opts.cpu), BENCH_PYTHON: python },
    ...extra,
  });
  if (env.aiohttp === undefined) {
    const r =
      env.python === null
        ? null
        : spawnSync(python, ["-c", "import aiohttp; print(aiohttp.__version__)"], {
            encoding: "utf8",
            timeout: 30_000,
          });
    env.aiohttp = r?.status === 0 ? r.stdout.trim() : null;
  }
  const noAiohttp =
    uvAvailable ??
    (env.python !== null && env.aiohttp === null
      ? "skipped (not installed: apt-get install python3-aiohttp)"
      : null);
  const v = (name) => env.peers[name] ?? "?";
  return {
    id: "client",
    title:
      `HTTP client: ${fmt.fmtInt(n)} keep-alive GETs of a 13-byte hello world from a raw node:http server on ` +
      "the other core, sequential and 50 in flight (the table: 50 in flight; both modes below)",
    unit: "req/s",
    contenders: [
      c("undici7", `undici ${v("undici7")} request()`, {
        baseline: true,
        unavailable: peerAvailable("undici7"),
      }),
      c("undici8", `undici ${v("undici8")} request()`, { unavailable: peerAvailable("undici8") }),
      c("fetch", `global fetch (Node ${env.nodeVersion}'s undici)`),
      c("node-http", "node:http, keep-alive Agent"),
      c("axios", `axios ${v("axios")} get() (defaults)`, { unavailable: peerAvailable("axios") }),
      c("aiots", "aiots ClientSession.get() + read()", { unavailable: probeAiots(env) }),
      c("aiohttp", `aiohttp ${env.aiohttp ?? "?"} ClientSession + uvloop`, { unavailable: noAiohttp }),
    ],
    targets: [],
    sampleText: (s) =>
      MODES.map(
        (m) =>
          `${m.label} ${fmt.fmtRate(s.modes[m.id].rps)} (CPU: client ${pct(s.modes[m.id].clientCpu)}, server ${pct(s.modes[m.id].serverCpu)})`,
      ).join(", "),
    extend: (out) => extendClient(out, fmt),
  };
}

const pct = (x) => (x == null ? "—" : `${(x * 100).toFixed(0)} %`);

/** null when the built aiots/client (AIOTS_DIST, else dist/) exports ClientSession, else the reason. */
function probeAiots(env) {
  const dist = process.env.AIOTS_DIST ?? join(ROOT, "dist");
  const url = pathToFileURL(join(dist, "client", "index.js")).href;
  const code =
    `const m = await import(${JSON.stringify(url)});\n` +
    'process.exit(typeof m.ClientSession === "function" ? 0 : 3);';
  const r = spawnSync(env.node, ["--input-type=module", "-e", code], { encoding: "utf8", timeout: 60_000 });
  if (r.status === 0) return null;
  if (r.status === 3) return NO_SESSION;
  const last = (r.stderr ?? "").trim().split("\n").filter(Boolean).pop() ?? `exit ${r.status}`;
  return `unavailable (${join(dist, "client", "index.js")} does not load: ${last.slice(0, 100)})`;
}

/** Per-mode medians on every contender, ratios vs undici 7 per mode, the targets, the mode table. */
function extendClient(out, fmt) {
  const { median, fmtRate, fmtRatio, table } = fmt;
  for (const k of out.contenders) {
    k.modes = {};
    for (const m of MODES) {
      const rs = k.samples.map((s) => s.modes?.[m.id]).filter(Boolean);
      k.modes[m.id] =
        rs.length === 0
          ? null
          : {
              rps: median(rs.map((r) => r.rps)),
              min: Math.min(...rs.map((r) => r.rps)),
              max: Math.max(...rs.map((r) => r.rps)),
              serverCpu: median(rs.map((r) => r.serverCpu)),
              clientCpu: median(rs.map((r) => r.clientCpu)),
            };
    }
  }
  const byId = (id) => out.contenders.find((k) => k.id === id);
  const ratio = (id, vs, mode) => {
    const a = byId(id)?.modes?.[mode]?.rps;
    const b = byId(vs)?.modes?.[mode]?.rps;
    return a && b ? a / b : null;
  };
  const goals = [
    { vs: "undici7", min: 0.9, name: "undici 7 request()" },
    { vs: "axios", min: 4, name: "axios" },
    { vs: "aiohttp", min: 4, name: "aiohttp's client" },
  ];
  out.targets = [];
  if (byId("aiots"))
    for (const g of goals) {
      if (!byId(g.vs)) continue;
      for (const m of MODES) {
        const r = ratio("aiots", g.vs, m.id);
        out.targets.push({
          text: `aiots ≥ ${g.min}× ${g.name}, ${m.label}`,
          contender: "aiots",
          vs: g.vs,
          mode: m.id,
          min: g.min,
          ratio: r,
          met: r === null ? null : r >= g.min,
        });
      }
    }
  const rows = out.contenders.map((k) => [
    k.baseline ? `${k.label} [baseline]` : k.label,
    ...MODES.flatMap((m) => {
      const r = k.modes[m.id];
      return r
        ? [
            `${fmtRate(r.rps)} (${fmtRate(r.min)}–${fmtRate(r.max)})`,
            fmtRatio(ratio(k.id, "undici7", m.id)),
            `${pct(r.clientCpu)} / ${pct(r.serverCpu)}`,
          ]
        : ["—", "—", "—"];
    }),
  ]);
  const perMode = table(
    ["per mode: median req/s (min–max)", ...MODES.flatMap((m) => [m.label, "vs undici 7", "CPU cl/srv"])],
    rows,
    [1, 2, 3, 4, 5, 6],
  );
  out.notes = [
    ...perMode.split("\n"),
    "CPU cl/srv: the client's and the server's share of their cores while that mode ran: a client well under 100 % " +
      "was waiting (on the server, or on other load of its core), a server near 100 % was the limit",
  ];
  out.modes = MODES;
}
