// Runner side of the `ws` case (bench/run.mjs imports this): its contenders, target and notes. The
// measurement itself is done by cases/ws.mjs (the driver and load generator, pinned to the client core)
// against cases/ws_server.mjs / cases/ws_server.py (pinned to the server core).
import { spawnSync } from "node:child_process";

/**
 * The case definition. `ctx`: { opts, env, python, size(key), uvAvailable, peerAvailable(name),
 * fmt: { median, fmtRate, fmtRatio } } from run.mjs. Probes aiohttp into `env.aiohttp` unless the http
 * cases already did.
 */
export function wsCase(ctx) {
  const { opts, env, python, size, uvAvailable, peerAvailable, fmt } = ctx;
  const seconds = Math.max(1, size("ws"));
  const noWs = peerAvailable("ws");
  const c = (server, label, extra = {}) => ({
    id: server,
    label,
    n: seconds,
    cmd: env.node,
    args: ["cases/ws.mjs", server, String(seconds)],
    cpu: opts.clientCpu,
    env: {
      BENCH_SERVER_CPU: String(opts.cpu),
      BENCH_CLIENT_CPU: String(opts.clientCpu),
      BENCH_PYTHON: python,
    },
    ...extra,
    unavailable: noWs ?? extra.unavailable ?? null,
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
  const aiohttp = env.aiohttp ? `aiohttp ${env.aiohttp}` : "aiohttp";
  const noAiohttp =
    uvAvailable ??
    (env.python !== null && env.aiohttp === null
      ? "skipped (not installed: apt-get install python3-aiohttp)"
      : null);
  return {
    id: "ws",
    title: `WebSocket echo: 50 clients × (send 64-byte text, await echo), ${seconds} s after a 1 s warm-up`,
    unit: "msgs/s",
    contenders: [
      c("raw-ws", `raw ws ${env.peers.ws ?? "?"} WebSocketServer`, { baseline: true }),
      c("ws-floor", "ws + an async loop awaiting a promise per message (the floor of any receive() API)"),
      c("aiots", "aiots/web WebSocketResponse"),
      c("uvloop", `${aiohttp} + uvloop (for reference)`, { unavailable: noAiohttp }),
    ],
    targets: [{ contender: "aiots", vs: "raw-ws", min: 0.9 }],
    sampleText: (s) =>
      `p99 ${fmtLat(s.p99)}, server CPU ${(s.serverCpu * 100).toFixed(0)} % (${s.serverUsPerMsg.toFixed(1)} µs/msg), ` +
      `generator CPU ${(s.clientCpu * 100).toFixed(0)} %`,
    notes: (contenders) => {
      const base = contenders.find((k) => k.baseline);
      const usPerMsg = (k) => (k.samples.length ? fmt.median(k.samples.map((s) => s.serverUsPerMsg)) : null);
      const baseUs = base ? usPerMsg(base) : null;
      return contenders
        .filter((k) => k.samples.length > 0)
        .map((k) => {
          const us = usPerMsg(k);
          const med = (key) => fmt.median(k.samples.map((s) => s[key]));
          return (
            `${k.label}: ${fmt.fmtRate(k.median)} msgs/s, p50 ${fmtLat(med("p50"))}, p99 ${fmtLat(med("p99"))}; ` +
            `server ${us.toFixed(1)} µs CPU/msg at ${(med("serverCpu") * 100).toFixed(0)} % of a core` +
            (baseUs && k !== base ? ` (${fmt.fmtRatio(us / baseUs)} raw ws's)` : "") +
            `, generator at ${(med("clientCpu") * 100).toFixed(0)} %`
          );
        });
    },
  };
}

function fmtLat(ms) {
  if (ms == null) return "—";
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  return ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(ms >= 10 ? 1 : 2)} ms`;
}
