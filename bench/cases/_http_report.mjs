// Runner side of the `http` and `http-idle` cases (bench/run.mjs imports this): their contenders, the
// per-route medians, ratios and targets, and the SVG bar chart of the http case. The measurements
// themselves are done by cases/http.mjs (the driver, pinned to the client core, running wrk) against
// cases/http_server.mjs / cases/http_server.py (pinned to the server core).
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MEASURED } from "./_http_routes.mjs";

export const WRK = process.env.BENCH_WRK ?? "/usr/bin/wrk";

/**
 * The two case definitions. `ctx`: { opts, env, python, size(key), pyAvailable, uvAvailable,
 * peerAvailable(name), fmt: { median, fmtInt, fmtRate, fmtRatio, table } } from run.mjs.
 */
export function httpCases(ctx) {
  const { opts, env, python, size, pyAvailable, uvAvailable, peerAvailable, fmt } = ctx;
  const noWrk = existsSync(WRK) ? null : `skipped (${WRK} not found: apt-get install wrk)`;
  const version = (name) => env.peers[name] ?? "?";
  const httpC = (server, label, mode, n, extra = {}) => ({
    id: server,
    label,
    n,
    cmd: env.node,
    args: ["cases/http.mjs", server, mode, String(n)],
    cpu: opts.clientCpu,
    env: { BENCH_SERVER_CPU: String(opts.cpu), BENCH_PYTHON: python, BENCH_WRK: WRK },
    ...extra,
    unavailable: noWrk ?? extra.unavailable ?? null,
  });
  // aiohttp's version goes into env (and so into latest.json); without it the aiohttp rows are skipped.
  env.aiohttp ??= env.python === null ? null : probeAiohttp(python);
  const aiohttp = env.aiohttp ? `aiohttp ${env.aiohttp}` : "aiohttp";
  const noAiohttp =
    pyAvailable ?? (env.aiohttp === null ? "skipped (not installed: apt-get install python3-aiohttp)" : null);
  const uvAiohttp = noAiohttp ?? uvAvailable;

  const seconds = Math.max(1, size("http"));
  const http = {
    id: "http",
    title:
      `HTTP server: wrk -t1 -c50 -d${seconds}s per route (GET /, GET /users/12345, GET /json; 100 routes), ` +
      "median of the routes",
    unit: "req/s",
    contenders: [
      httpC("node", "raw node:http (hand-routed)", "wrk", seconds, { baseline: true }),
      httpC("aiots", "aiots/web", "wrk", seconds),
      httpC("fastify", `Fastify ${version("fastify")}`, "wrk", seconds, {
        unavailable: peerAvailable("fastify"),
      }),
      httpC("hono", `Hono ${version("hono")} + node-server ${version("@hono/node-server")}`, "wrk", seconds, {
        unavailable: peerAvailable("hono") ?? peerAvailable("@hono/node-server"),
      }),
      httpC("express", `Express ${version("express")}`, "wrk", seconds, {
        unavailable: peerAvailable("express"),
      }),
      httpC("cpython", `${aiohttp} (CPython asyncio)`, "wrk", seconds, { unavailable: noAiohttp }),
      httpC("uvloop", `${aiohttp} + uvloop`, "wrk", seconds, { unavailable: uvAiohttp }),
    ],
    targets: [],
    sampleText: (s) =>
      MEASURED.map(
        (m) => `${m.label} ${fmt.fmtRate(s.routes[m.id].rps)} p99 ${fmtLat(s.routes[m.id].p99)}`,
      ).join(", "),
    extend: (out) => extendHttp(out, fmt),
    artifacts: (out, dir) => {
      if (!out.contenders.some((c) => c.samples.length > 0)) return null;
      const path = join(dir, "http.svg");
      writeFileSync(path, httpSvg(out, { env, opts, fmt }));
      return path;
    },
  };

  const idleN = size("http-idle");
  const httpIdle = {
    id: "http-idle",
    title: `idle keep-alive connections: ${fmt.fmtInt(idleN)} held open, each after one GET /`,
    unit: "connections/s set up",
    contenders: [
      httpC("node", "raw node:http", "idle", idleN, { baseline: true }),
      httpC("aiots", "aiots/web", "idle", idleN),
      httpC("uvloop", `${aiohttp} + uvloop (for reference)`, "idle", idleN, { unavailable: uvAiohttp }),
    ],
    targets: [],
    extend: (out) => extendIdle(out, fmt),
  };
  return [http, httpIdle];
}

function probeAiohttp(python) {
  try {
    const r = spawnSync(python, ["-c", "import aiohttp; print(aiohttp.__version__)"], {
      encoding: "utf8",
      timeout: 30_000,
    });
    return r.status === 0 ? r.stdout.trim() : null;
  } catch {
    return null;
  }
}

function fmtLat(ms) {
  if (ms == null) return "—";
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  return ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(ms >= 10 ? 1 : 2)} ms`;
}

/** Per-route medians on every contender, per-route targets, the route tables as notes. */
function extendHttp(out, fmt) {
  const { median, fmtRate, fmtRatio, table } = fmt;
  for (const c of out.contenders) {
    c.routes = {};
    for (const m of MEASURED) {
      const rs = c.samples.map((s) => s.routes?.[m.id]).filter(Boolean);
      c.routes[m.id] =
        rs.length === 0
          ? null
          : {
              rps: median(rs.map((r) => r.rps)),
              min: Math.min(...rs.map((r) => r.rps)),
              max: Math.max(...rs.map((r) => r.rps)),
              p50: median(rs.map((r) => r.p50)),
              p99: median(rs.map((r) => r.p99)),
            };
    }
  }
  const byId = (id) => out.contenders.find((c) => c.id === id);
  const rps = (id, route) => byId(id)?.routes?.[route]?.rps ?? null;
  const ratio = (id, vs, route) => {
    const a = rps(id, route);
    const b = rps(vs, route);
    return a && b ? a / b : null;
  };
  const refs = [
    { id: "node", name: "raw node:http" },
    { id: "fastify", name: "Fastify" },
    { id: "uvloop", name: "aiohttp+uvloop" },
  ];
  const goals = [
    { vs: "node", min: 0.9 },
    { vs: "fastify", min: 0.9 },
    { vs: "uvloop", min: 2.5 },
  ];
  out.targets = [];
  if (byId("aiots"))
    for (const g of goals) {
      if (!byId(g.vs)) continue;
      for (const m of MEASURED) {
        const r = ratio("aiots", g.vs, m.id);
        out.targets.push({
          text: `aiots ≥ ${g.min}× ${refs.find((x) => x.id === g.vs).name} on ${m.label}`,
          contender: "aiots",
          vs: g.vs,
          route: m.id,
          min: g.min,
          ratio: r,
          met: r === null ? null : r >= g.min,
        });
      }
    }
  const rows = out.contenders.map((c) => [
    c.label,
    ...MEASURED.flatMap((m) => {
      const r = c.routes[m.id];
      return r ? [`${fmtRate(r.rps)} (${fmtRate(r.min)}–${fmtRate(r.max)})`, fmtLat(r.p99)] : ["—", "—"];
    }),
  ]);
  const perRoute = table(
    ["per route: median req/s (min–max)", ...MEASURED.flatMap((m) => [m.label, "p99"])],
    rows,
    [1, 2, 3, 4, 5, 6],
  );
  const presentRefs = refs.filter((x) => byId(x.id)?.routes);
  const ratioRows = out.contenders.map((c) => [
    c.label,
    ...MEASURED.map((m) => presentRefs.map((x) => fmtRatio(ratio(c.id, x.id, m.id))).join(" / ")),
  ]);
  const ratios = table(
    [`ratios vs ${presentRefs.map((x) => x.name).join(" / ")}`, ...MEASURED.map((m) => m.label)],
    ratioRows,
    [1, 2, 3],
  );
  out.notes = [...perRoute.split("\n"), "", ...ratios.split("\n")];
  out.routes = MEASURED.map(({ id, label, path }) => ({ id, label, path }));
}

/** RSS / heap per idle connection, and the ≤ 1.2× raw node:http target. */
function extendIdle(out, fmt) {
  const { median } = fmt;
  for (const c of out.contenders) {
    const ok = c.samples.length > 0;
    c.bytesPerConn = ok ? median(c.samples.map((s) => s.bytesPerConn)) : null;
    const heaps = c.samples.map((s) => s.heapPerConn).filter((h) => h != null);
    c.heapPerConn = heaps.length > 0 ? median(heaps) : null;
  }
  const node = out.contenders.find((c) => c.id === "node");
  const aiots = out.contenders.find((c) => c.id === "aiots");
  out.targets = [];
  if (node && aiots) {
    const r = node.bytesPerConn && aiots.bytesPerConn != null ? aiots.bytesPerConn / node.bytesPerConn : null;
    out.targets.push({
      text: "aiots RSS per idle keep-alive connection ≤ 1.2× raw node:http's",
      contender: "aiots",
      vs: "node",
      max: 1.2,
      ratio: r,
      met: r === null ? null : r <= 1.2,
    });
  }
  out.notes = out.contenders
    .filter((c) => c.bytesPerConn != null)
    .map(
      (c) =>
        `${c.label}: server RSS +${(c.bytesPerConn / 1024).toFixed(1)} KB per connection` +
        (c.heapPerConn != null ? `, JS heap +${(c.heapPerConn / 1024).toFixed(1)} KB` : "") +
        (node?.bytesPerConn && c !== node
          ? ` (${(c.bytesPerConn / node.bytesPerConn).toFixed(2)}× raw)`
          : ""),
    );
}

// ------------------------------------------------------------------------------------------- the chart

const COLORS = {
  node: "#4d4d4d",
  aiots: "#d9480f",
  fastify: "#1c7ed6",
  hono: "#f59f00",
  express: "#7048e8",
  cpython: "#2f9e44",
  uvloop: "#087f5b",
};

const esc = (s) =>
  String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A grouped bar chart, hand-written SVG: one group per route, one bar per contender (median, min–max whisker). */
export function httpSvg(out, { env, opts, fmt }) {
  const cs = out.contenders.filter((c) => c.routes && MEASURED.some((m) => c.routes[m.id]));
  const W = 960;
  const H = 560;
  const left = 70;
  const right = 20;
  const top = 96;
  const bottom = 130;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const maxV = Math.max(1, ...cs.flatMap((c) => MEASURED.map((m) => c.routes[m.id]?.max ?? 0)));
  const step = niceStep(maxV / 5);
  const yMax = Math.ceil((maxV * 1.12) / step) * step; // room for the value labels above the bars
  const y = (v) => top + plotH - (v / yMax) * plotH;
  const groupW = plotW / MEASURED.length;
  const pad = 28;
  const barW = cs.length > 0 ? (groupW - 2 * pad) / cs.length : 0;
  const p = [];
  p.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
      `font-family="Helvetica, Arial, sans-serif" font-size="12" role="img">`,
  );
  p.push("<title>HTTP server throughput per route and server (requests/s)</title>");
  p.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  p.push(
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">` +
      "HTTP server throughput, 100 routes — requests/s (higher is better)</text>",
  );
  const when = new Date().toISOString().slice(0, 10);
  const sub = [
    `wrk -t1 -c50 -d${out.contenders[0]?.n ?? "?"}s per route, server and wrk pinned to separate cores; ` +
      `median of ${opts.rounds} interleaved round(s), whiskers min–max`,
    `node ${env.nodeVersion}, CPython ${env.python ?? "—"}; ${env.cores} × ${env.cpuModel}; ${when}`,
  ];
  sub.forEach((line, i) => {
    p.push(`<text x="${W / 2}" y="${44 + 16 * i}" text-anchor="middle" fill="#555">${esc(line)}</text>`);
  });
  for (let v = 0; v <= yMax + 1e-9; v += step) {
    p.push(
      `<line x1="${left}" x2="${W - right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e6e6e6"/>`,
    );
    p.push(
      `<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#555">${esc(fmtAxis(v))}</text>`,
    );
  }
  p.push(`<line x1="${left}" x2="${W - right}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/>`);
  p.push(
    `<text transform="translate(18 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#333">requests/s</text>`,
  );
  MEASURED.forEach((m, gi) => {
    const gx = left + gi * groupW;
    p.push(
      `<text x="${(gx + groupW / 2).toFixed(1)}" y="${y(0) + 20}" text-anchor="middle" font-weight="bold">${esc(m.label)}</text>`,
    );
    cs.forEach((c, ci) => {
      const r = c.routes[m.id];
      if (!r) return;
      const x = gx + pad + ci * barW;
      const color = COLORS[c.id] ?? "#888";
      p.push(
        `<rect x="${(x + 2).toFixed(1)}" y="${y(r.rps).toFixed(1)}" width="${(barW - 4).toFixed(1)}" ` +
          `height="${(y(0) - y(r.rps)).toFixed(1)}" fill="${color}"><title>${esc(
            `${c.label} — ${m.label}: ${fmt.fmtRate(r.rps)} req/s (min ${fmt.fmtRate(r.min)}, max ${fmt.fmtRate(r.max)}), p99 ${fmtLat(r.p99)}`,
          )}</title></rect>`,
      );
      const cx = x + barW / 2;
      if (r.max > r.min)
        p.push(
          `<line x1="${cx.toFixed(1)}" x2="${cx.toFixed(1)}" y1="${y(r.max).toFixed(1)}" y2="${y(r.min).toFixed(1)}" stroke="#000" stroke-width="1"/>`,
        );
      p.push(
        `<text transform="translate(${(cx + 3).toFixed(1)} ${(y(r.max) - 4).toFixed(1)}) rotate(-90)" font-size="10" fill="#222">${esc(fmt.fmtRate(r.rps))}</text>`,
      );
    });
  });
  // legend, two columns under the plot
  const perCol = Math.ceil(cs.length / 2);
  cs.forEach((c, i) => {
    const lx = left + (i < perCol ? 0 : plotW / 2);
    const ly = y(0) + 44 + (i % perCol) * 18;
    const base = c.baseline ? " [baseline]" : "";
    p.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${COLORS[c.id] ?? "#888"}"/>`);
    p.push(`<text x="${lx + 18}" y="${ly}">${esc(`${c.label}${base}`)}</text>`);
  });
  p.push("</svg>");
  return `${p.join("\n")}\n`;
}

function niceStep(raw) {
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const k of [1, 2, 2.5, 5, 10]) if (k * mag >= raw) return k * mag;
  return 10 * mag;
}

function fmtAxis(v) {
  return v >= 1000 ? `${(v / 1000).toFixed(v % 1000 === 0 ? 0 : 1)} k` : String(v);
}
