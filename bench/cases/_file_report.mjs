// Runner side of the `static` and `upload` cases (bench/run.mjs imports this): their contenders,
// per-file ratios and targets. The measurements are done by cases/static.mjs (wrk against
// cases/static_server.mjs) and cases/upload.mjs (a node:http client against cases/upload_server.mjs),
// the driver pinned to the client core, the server to --cpu, as in the http case.
import { existsSync } from "node:fs";

const WRK = process.env.BENCH_WRK ?? "/usr/bin/wrk";
const FILES = [
  { id: "1k", label: "1 KiB", bytes: 1024 },
  { id: "1m", label: "1 MiB", bytes: 2 ** 20 },
];

/** `ctx`: { opts, env, size(key), peerAvailable(name), fmt: { median, fmtRate, fmtRatio } } from run.mjs. */
export function fileCases(ctx) {
  const { opts, env, size, peerAvailable, fmt } = ctx;
  const noWrk = existsSync(WRK) ? null : `skipped (${WRK} not found: apt-get install wrk)`;
  const version = (name) => env.peers[name] ?? "?";
  const pinned = (script, args, extra) => ({
    n: extra.n,
    cmd: env.node,
    args: [`cases/${script}.mjs`, ...args],
    cpu: opts.clientCpu,
    env: { BENCH_SERVER_CPU: String(opts.cpu), BENCH_WRK: WRK },
    ...extra,
  });

  // static: one contender per server × file, each a fresh server; ratios are per file.
  const seconds = Math.max(1, size("static"));
  const SERVERS = [
    { id: "node", label: "raw node:http, fs.createReadStream().pipe(res)" },
    { id: "aiots", label: "aiots router.addStatic (FileResponse)" },
    {
      id: "fastify",
      label: `Fastify ${version("fastify")} + @fastify/static ${version("@fastify/static")}`,
      unavailable: peerAvailable("fastify") ?? peerAvailable("@fastify/static"),
    },
  ];
  const staticCase = {
    id: "static",
    title: `static files: wrk -t1 -c50 -d${seconds}s on a 1 KiB and a 1 MiB file`,
    unit: "req/s",
    contenders: FILES.flatMap((f) =>
      SERVERS.map((s) =>
        pinned("static", [s.id, f.id, String(seconds)], {
          id: `${s.id}-${f.id}`,
          label: `${f.label}: ${s.label}`,
          n: seconds,
          baseline: s.id === "node",
          unavailable: noWrk ?? s.unavailable ?? null,
        }),
      ),
    ),
    targets: FILES.flatMap((f) => [
      { contender: `aiots-${f.id}`, vs: `node-${f.id}`, min: 0.9 },
      { contender: `aiots-${f.id}`, vs: `fastify-${f.id}`, min: 0.9 },
    ]),
    sampleText: (s) => `${s.mbPerSec.toFixed(1)} MiB/s, p99 ${s.p99.toFixed(1)} ms`,
    // The "vs" column: each row against raw node:http on the same file.
    extend: (out) => {
      for (const c of out.contenders) {
        const base = out.contenders.find((k) => k.id === `node-${c.id.split("-")[1]}`);
        c.ratio = c.median !== null && base?.median ? c.median / base.median : null;
      }
    },
    notes: (contenders) => {
      const med = (id) => contenders.find((c) => c.id === id)?.median ?? null;
      const lines = ['"vs" column: against raw node:http on the same file'];
      for (const f of FILES) {
        const [a, n, fy] = ["aiots", "node", "fastify"].map((s) => med(`${s}-${f.id}`));
        const mb = (x) => (x === null ? "—" : `${((x * f.bytes) / 2 ** 20).toFixed(1)} MiB/s`);
        const best = Math.max(n ?? 0, fy ?? 0);
        lines.push(
          `${f.label}: node ${mb(n)}, aiots ${mb(a)}, fastify ${mb(fy)}; aiots vs the faster of the two: ` +
            `${a !== null && best > 0 ? fmt.fmtRatio(a / best) : "—"} (target ≥ 0.9×)`,
        );
      }
      return lines;
    },
  };

  const mib = Math.max(1, size("upload"));
  const uploadCase = {
    id: "upload",
    title: `multipart upload: one ${mib} MiB file part streamed to disk (one request; a 10 MiB warm-up first)`,
    unit: "MiB/s",
    memory: true,
    contenders: [
      pinned("upload", ["busboy", String(mib)], {
        id: "busboy",
        label: `raw node:http + @fastify/busboy ${version("@fastify/busboy")}`,
        n: mib,
        baseline: true,
        unavailable: peerAvailable("@fastify/busboy"),
      }),
      pinned("upload", ["aiots", String(mib)], { id: "aiots", label: "aiots request.multipart()", n: mib }),
    ],
    targets: [{ contender: "aiots", vs: "busboy", min: 0.9 }],
    sampleText: (s) =>
      `server RSS +${(s.rssGrowth / 2 ** 20).toFixed(1)} MB (10 MiB warm-up: +${(s.warmupRssGrowth / 2 ** 20).toFixed(1)} MB)`,
    notes: (contenders) =>
      contenders
        .filter((c) => c.samples.length > 0)
        .map(
          (c) =>
            `${c.label}: server peak RSS growth while handling the upload +${(fmt.median(c.samples.map((s) => s.rssGrowth)) / 2 ** 20).toFixed(1)} MB ` +
            `(${mib} MiB), +${(fmt.median(c.samples.map((s) => s.warmupRssGrowth)) / 2 ** 20).toFixed(1)} MB (10 MiB warm-up)`,
        ),
  };
  return [staticCase, uploadCase];
}
