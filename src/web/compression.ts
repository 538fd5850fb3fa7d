/**
 * Response compression and request decompression on `node:zlib` streams.
 *
 * - {@link negotiateEncoding}: the coding a client accepts best (`br`, `gzip`, `deflate`, by their
 *   `q` values; the server prefers them in that order on ties; `q=0` refuses; `*` covers the rest).
 * - {@link BodyEncoder}: a response body through a compressor into the Node response, with
 *   back-pressure (`write` resolves once the compressed output is handed to the socket and its
 *   buffer is below the high-water mark).
 * - {@link decodedBody}: a request body with `Content-Encoding` inflated on the way in, so that
 *   `clientMaxSize` counts the decompressed bytes (a zip bomb stops at the limit).
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable, Transform } from "node:stream";
import { inspect } from "node:util";
import * as zlib from "node:zlib";
import { runInRoot } from "../asyncio/kernel.js";
import { ConnectionResetError, Future, ValueError } from "../index.js";

/** The content codings aiots compresses with (`identity`: none). */
export type ContentCoding = "br" | "gzip" | "deflate" | "identity";

/** aiohttp's `ContentCoding` enum. */
export const ContentCoding = {
  br: "br",
  gzip: "gzip",
  deflate: "deflate",
  identity: "identity",
} as const satisfies Record<string, ContentCoding>;

/** Bodies smaller than this (bytes) are sent uncompressed unless compression is forced. */
export const COMPRESSION_MIN_SIZE = 1024;

/** Server preference on equal `q` values. */
const PREFERENCE: readonly ContentCoding[] = ["br", "gzip", "deflate"];

/** Check a `force` argument. @throws {ValueError} for an unknown coding. */
export function checkCoding(coding: unknown): ContentCoding {
  if (typeof coding === "string" && Object.hasOwn(ContentCoding, coding)) return coding as ContentCoding;
  throw new ValueError(
    `Unknown content coding ${inspect(coding)}: use "br", "gzip", "deflate" or "identity"`,
  );
}

/**
 * The coding to answer with for an `Accept-Encoding` value: the acceptable one (q > 0) with the
 * highest q, `br` > `gzip` > `deflate` on ties; `identity` when none (or no header).
 */
export function negotiateEncoding(acceptEncoding: string | undefined | null): ContentCoding {
  if (acceptEncoding == null || acceptEncoding === "") return "identity";
  const q = new Map<string, number>();
  for (const item of acceptEncoding.split(",")) {
    const [rawName, ...params] = item.split(";");
    const name = rawName!.trim().toLowerCase();
    if (name === "") continue;
    let weight = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m !== null) {
        const w = Number(m[1]);
        weight = Number.isFinite(w) ? Math.min(Math.max(w, 0), 1) : 0;
      }
    }
    q.set(name === "x-gzip" ? "gzip" : name, weight);
  }
  const star = q.get("*");
  let best: ContentCoding = "identity";
  let bestQ = 0;
  for (const coding of PREFERENCE) {
    const w = q.get(coding) ?? star ?? 0;
    if (w > bestQ) {
      best = coding;
      bestQ = w;
    }
  }
  return best;
}

/** A compressor for `coding` (brotli at quality 4, a usual setting for dynamic content). */
export function createCompressor(coding: Exclude<ContentCoding, "identity">): Transform {
  if (coding === "br")
    return zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } });
  return coding === "gzip" ? zlib.createGzip() : zlib.createDeflate();
}

function endEmpty(res: ServerResponse): void {
  res.end();
}

/**
 * A response body through a compressor: `write()` with back-pressure, `end()` ends the Node
 * response once the compressor has flushed. @internal
 */
export class BodyEncoder {
  readonly #res: ServerResponse;
  readonly #z: Transform;
  #failed: Error | null = null;
  /** The write waiting for the compressor, failed if the connection closes first. */
  #pending: Future<void> | null = null;

  constructor(res: ServerResponse, coding: Exclude<ContentCoding, "identity">) {
    this.#res = res;
    const z = createCompressor(coding);
    this.#z = z;
    z.on("data", (chunk: Buffer) => {
      if (!res.destroyed) res.write(chunk);
    });
    z.on("end", () => runInRoot(endEmpty, res));
    z.on("error", (e: Error) => {
      this.#failed = e;
      res.destroy(e);
    });
    res.once("close", () => {
      const fut = this.#pending;
      if (fut !== null && !fut.done())
        fut.setException(new ConnectionResetError("Connection lost while writing"));
      if (!z.destroyed && !z.writableFinished) z.destroy();
    });
  }

  /** Compress `data` and wait while the client's socket buffer is full. */
  async write(data: Uint8Array | string): Promise<void> {
    const res = this.#res;
    if (this.#failed !== null || res.destroyed)
      throw new ConnectionResetError("Cannot write to closing transport");
    const fut = new Future<void>();
    this.#pending = fut;
    this.#z.write(data, (err) => {
      if (fut.done()) return;
      if (err != null) fut.setException(new ConnectionResetError(`Compression failed: ${err.message}`));
      else fut.setResult();
    });
    try {
      await fut;
    } finally {
      this.#pending = null;
    }
    if (this.#failed !== null || res.destroyed)
      throw new ConnectionResetError("Connection lost while writing");
    if (res.writableNeedDrain) await waitDrain(res);
  }

  /** Compress the last piece and end the response when the compressor is done. */
  end(data?: Uint8Array | string): void {
    if (data === undefined || data.length === 0) this.#z.end();
    else this.#z.end(data);
  }
}

/** Wait for `drain` (or fail when the connection closes first). */
async function waitDrain(res: ServerResponse): Promise<void> {
  const fut = new Future<void>();
  const onDrain = (): void => {
    if (!fut.done()) fut.setResult();
  };
  const onClose = (): void => {
    if (!fut.done()) fut.setException(new ConnectionResetError("Connection lost while writing"));
  };
  res.on("drain", onDrain);
  res.on("close", onClose);
  try {
    await fut;
  } finally {
    res.off("drain", onDrain);
    res.off("close", onClose);
  }
}

/**
 * The request body as the handler should see it: `raw` itself without a (known) `Content-Encoding`,
 * else `raw` piped through a decompressor. `error()` tells a corrupt body (a 400) from a lost
 * connection; `stop()` detaches and frees the decompressor (when the limit is hit). @internal
 */
export function decodedBody(raw: IncomingMessage): {
  source: Readable;
  coding: string | null;
  corrupt: () => boolean;
  stop: () => void;
} {
  const header = raw.headers["content-encoding"];
  const coding = header?.trim().toLowerCase() ?? "";
  let z: Transform | null = null;
  if (coding === "gzip" || coding === "x-gzip") z = zlib.createGunzip();
  else if (coding === "deflate") z = zlib.createInflate();
  else if (coding === "br") z = zlib.createBrotliDecompress();
  if (z === null) return { source: raw, coding: null, corrupt: () => false, stop: () => {} };
  const dz = z;
  let corrupt = false;
  let stopped = false;
  dz.on("error", () => {
    if (!stopped) corrupt = true;
  });
  const onAbort = (): void => {
    if (!raw.complete && !dz.destroyed) {
      stopped = true;
      dz.destroy(new ConnectionResetError("Connection lost while reading the body"));
    }
  };
  raw.on("aborted", onAbort);
  raw.on("close", onAbort);
  raw.pipe(dz);
  return {
    source: dz,
    coding,
    corrupt: () => corrupt,
    stop: () => {
      stopped = true;
      raw.unpipe(dz);
      dz.destroy();
    },
  };
}
