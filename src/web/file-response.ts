/**
 * `FileResponse` (aiohttp's `web_fileresponse`): a file sent from disk with back-pressure, with
 * single byte ranges (`Range`, `If-Range`; 206 and 416), validators (`ETag`, `Last-Modified`),
 * conditional requests (`If-None-Match`/`If-Modified-Since` → 304, `If-Match`/
 * `If-Unmodified-Since` → 412), HEAD, a content type guessed from the extension, and pre-compressed
 * siblings (`x.js.br`, `x.js.gz`) sent when the client accepts their encoding (aiohttp ≥ 3.9).
 *
 * The file is opened once (non-blocking, so a FIFO never hangs the open) and every header comes
 * from `fstat` of that descriptor. The body is read by a `fs.ReadStream` on that descriptor and
 * written with `StreamResponse.write()`, which waits for `drain`; when the client goes away the
 * stream is destroyed and the descriptor closed.
 *
 * Content types come from {@link CONTENT_TYPES}, a small built-in map of extensions (no dependency);
 * an unknown extension is `application/octet-stream`. Give `contentType` or a `Content-Type` header
 * to override it.
 */
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { inspect } from "node:util";
import { ArgumentTypeError, ConnectionResetError, ValueError } from "../index.js";
import { webLogger } from "./log.js";
import type { Request } from "./request.js";
import { type ResponseInit, StreamResponse } from "./response.js";

/** Extension (lower case, with the dot) → media type; text types get `charset=utf-8`. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  ".html": "text/html",
  ".htm": "text/html",
  ".css": "text/css",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".json": "application/json",
  ".map": "application/json",
  ".txt": "text/plain",
  ".md": "text/markdown",
  ".csv": "text/csv",
  ".xml": "application/xml",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".ico": "image/vnd.microsoft.icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".otf": "font/otf",
  ".wasm": "application/wasm",
  ".pdf": "application/pdf",
  ".zip": "application/zip",
  ".gz": "application/gzip",
  ".tar": "application/x-tar",
  ".mp3": "audio/mpeg",
  ".ogg": "audio/ogg",
  ".wav": "audio/wav",
  ".mp4": "video/mp4",
  ".webm": "video/webm",
});

const FALLBACK_CONTENT_TYPE = "application/octet-stream";

/** The media type for `path`'s extension (with `; charset=utf-8` for text), or the fallback. */
export function guessContentType(path: string): string {
  const ext = nodePath.extname(path).toLowerCase();
  const ct = Object.hasOwn(CONTENT_TYPES, ext) ? CONTENT_TYPES[ext]! : FALLBACK_CONTENT_TYPE;
  return ct.startsWith("text/") ? `${ct}; charset=utf-8` : ct;
}

/** Pre-compressed siblings, in order of preference: suffix → `Content-Encoding`. */
const ENCODINGS: readonly (readonly [string, string])[] = [
  [".br", "br"],
  [".gz", "gzip"],
];

/** Options of {@link FileResponse}. */
export interface FileResponseOptions extends ResponseInit {
  /** Bytes read at a time (default 256 KiB). */
  chunkSize?: number;
}

interface OpenFile {
  fd: number;
  path: string;
  size: number;
  mtimeMs: number;
  etag: string;
  encoding: string | null;
}

/** What to send after the headers: `count` bytes from `start` (the descriptor stays open). */
interface BodyPlan {
  file: OpenFile;
  start: number;
  count: number;
}

const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);
const OPEN_NOFOLLOW = OPEN_FLAGS | (fs.constants.O_NOFOLLOW ?? 0);

/** The encodings `Accept-Encoding` allows (q > 0), lower-cased. */
function acceptedEncodings(header: string | undefined): Set<string> {
  const out = new Set<string>();
  if (header === undefined) return out;
  for (const part of header.toLowerCase().split(",")) {
    const [name = "", ...params] = part.split(";").map((s) => s.trim());
    const q = params.find((p) => p.startsWith("q="));
    if (name !== "" && (q === undefined || Number(q.slice(2)) > 0)) out.add(name);
  }
  return out;
}

function describe(fd: number, path: string, encoding: string | null): OpenFile | null {
  const st = fs.fstatSync(fd, { bigint: true });
  if (!st.isFile()) return null;
  const size = Number(st.size);
  return {
    fd,
    path,
    size,
    mtimeMs: Number(st.mtimeMs),
    etag: `"${st.mtimeNs.toString(16)}-${size.toString(16)}"`,
    encoding,
  };
}

function describeAsync(fd: number, path: string, encoding: string | null): Promise<OpenFile | null> {
  return new Promise((resolve, reject) =>
    fs.fstat(fd, { bigint: true }, (err, st) => {
      if (err !== null) return reject(err);
      if (!st.isFile()) return resolve(null);
      const size = Number(st.size);
      resolve({
        fd,
        path,
        size,
        mtimeMs: Number(st.mtimeMs),
        etag: `"${st.mtimeNs.toString(16)}-${size.toString(16)}"`,
        encoding,
      });
    }),
  );
}

function openAsync(path: string, flags: number): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.open(path, flags, (err, fd) => (err ? reject(err) : resolve(fd))),
  );
}

function closeQuietly(fd: number): void {
  fs.close(fd, () => {});
}

/** One `ETag` list (`If-Match`, `If-None-Match`): `*` or the tags, each with its weakness. */
function parseEtags(value: string): "*" | { weak: boolean; tag: string }[] {
  if (value.trim() === "*") return "*";
  const out: { weak: boolean; tag: string }[] = [];
  for (const m of value.matchAll(/(W\/)?("[^"]*")/g)) out.push({ weak: m[1] !== undefined, tag: m[2]! });
  return out;
}

function etagMatch(etag: string, header: string, weak: boolean): boolean {
  const tags = parseEtags(header);
  if (tags === "*") return true;
  return tags.some((t) => t.tag === etag && (weak || !t.weak));
}

/** An HTTP date as whole seconds, or null when it does not parse. */
function httpDateSeconds(value: string | undefined): number | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

/** `bytes=a-b` / `bytes=a-` / `bytes=-n`: [start, endInclusive|null] or [-n, null]; "bad" when not one valid range. */
function parseRange(value: string): [number, number | null] | "bad" {
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (m === null) return "bad";
  const [, a = "", b = ""] = m;
  if (a === "" && b === "") return "bad";
  if (a === "") {
    const n = Number(b);
    return n === 0 ? "bad" : [-n, null];
  }
  const start = Number(a);
  const end = b === "" ? null : Number(b);
  if (end !== null && end < start) return "bad";
  return [start, end];
}

/**
 * A file sent from disk: `return new FileResponse("/srv/report.pdf")`.
 * @see https://docs.aiohttp.org/en/stable/web_reference.html#fileresponse
 */
export class FileResponse extends StreamResponse {
  /** The file's path. */
  readonly path: string;
  /** Bytes read at a time. */
  readonly chunkSize: number;
  #bodyPending = false;

  constructor(path: string, options: FileResponseOptions = {}) {
    if (typeof path !== "string") throw new ArgumentTypeError(`path must be a string, got ${inspect(path)}`);
    if (path.includes("\0")) throw new ValueError("path must not contain NUL");
    const { chunkSize = 256 * 1024, ...init } = options ?? {};
    if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0)
      throw new ValueError(`chunkSize must be a positive integer, got ${inspect(chunkSize)}`);
    super(init);
    this.path = path;
    this.chunkSize = chunkSize;
  }

  /** The candidates to try: the accepted pre-compressed siblings, then the file itself. */
  #candidates(request: Request<any>): [string, string | null, number][] {
    const accepted = acceptedEncodings(request.headers.get("Accept-Encoding") ?? undefined);
    const out: [string, string | null, number][] = [];
    for (const [suffix, enc] of ENCODINGS)
      if (accepted.has(enc)) out.push([this.path + suffix, enc, OPEN_NOFOLLOW]);
    out.push([this.path, null, OPEN_FLAGS]);
    return out;
  }

  #openSync(request: Request<any>): OpenFile | NodeJS.ErrnoException {
    const candidates = this.#candidates(request);
    for (let i = 0; i < candidates.length; i++) {
      const [p, enc, flags] = candidates[i]!;
      const last = i === candidates.length - 1;
      let fd: number;
      try {
        fd = fs.openSync(p, flags);
      } catch (e) {
        if (last) return e as NodeJS.ErrnoException;
        continue;
      }
      let file: OpenFile | null = null;
      try {
        file = describe(fd, p, enc);
      } finally {
        if (file === null) fs.closeSync(fd);
      }
      if (file !== null) return file;
      if (last) return Object.assign(new Error("not a regular file"), { code: "EACCES" });
    }
    throw new Error("unreachable");
  }

  async #openAsync(request: Request<any>): Promise<OpenFile | NodeJS.ErrnoException> {
    const candidates = this.#candidates(request);
    for (let i = 0; i < candidates.length; i++) {
      const [p, enc, flags] = candidates[i]!;
      const last = i === candidates.length - 1;
      let fd: number;
      try {
        fd = await openAsync(p, flags);
      } catch (e) {
        if (last) return e as NodeJS.ErrnoException;
        continue;
      }
      let file: OpenFile | null = null;
      try {
        file = await describeAsync(fd, p, enc);
      } finally {
        if (file === null) closeQuietly(fd);
      }
      if (file !== null) return file;
      if (last) return Object.assign(new Error("not a regular file"), { code: "EACCES" });
    }
    throw new Error("unreachable");
  }

  /**
   * Decide the status and headers for `opened`, send them, and return what body to send (or null;
   * then the descriptor is already closed).
   */
  #head(request: Request<any>, opened: OpenFile | NodeJS.ErrnoException): BodyPlan | null {
    if (opened instanceof Error) {
      this.setStatus(opened.code === "EACCES" || opened.code === "EPERM" ? 403 : 404);
      this.contentLength = 0;
      super.prepareNow(request);
      return null;
    }
    const file = opened;
    let keep = false;
    try {
      const h = request.headers;
      if (!this.hasContentType && !this.headers.has("Content-Type"))
        this.headers.set("Content-Type", guessContentType(this.path));
      const lastModified = Math.floor(file.mtimeMs / 1000);
      const ifMatch = h.get("If-Match") ?? undefined;
      const ifNoneMatch = h.get("If-None-Match") ?? undefined;
      if (ifMatch !== undefined && !etagMatch(file.etag, ifMatch, false)) return this.#bare(request, 412);
      if (ifNoneMatch !== undefined && etagMatch(file.etag, ifNoneMatch, true))
        return this.#notModified(request, file, lastModified);
      const unmodSince = httpDateSeconds(h.get("If-Unmodified-Since") ?? undefined);
      if (ifMatch === undefined && unmodSince !== null && lastModified > unmodSince)
        return this.#bare(request, 412);
      const modSince = httpDateSeconds(h.get("If-Modified-Since") ?? undefined);
      if (ifNoneMatch === undefined && modSince !== null && lastModified <= modSince)
        return this.#notModified(request, file, lastModified);

      let start = 0;
      let count = file.size;
      let partial = false;
      const range = h.get("Range") ?? undefined;
      if (range !== undefined && this.#ifRangeHolds(h.get("If-Range") ?? undefined, file, lastModified)) {
        const r = parseRange(range);
        if (r === "bad") return this.#unsatisfiable(request, file);
        const [s, e] = r;
        if (s < 0) {
          start = Math.max(0, file.size + s);
          count = file.size - start;
        } else {
          start = s;
          count = Math.min(e === null ? file.size : e + 1, file.size) - start;
        }
        if (start >= file.size) return this.#unsatisfiable(request, file);
        partial = true;
        this.setStatus(206);
      }
      const headers = this.headers;
      if (file.encoding !== null) {
        headers.set("Content-Encoding", file.encoding);
        headers.set("Vary", "Accept-Encoding");
      }
      headers.set("ETag", file.etag);
      headers.set("Last-Modified", new Date(lastModified * 1000).toUTCString());
      headers.set("Accept-Ranges", "bytes");
      if (partial) headers.set("Content-Range", `bytes ${start}-${start + count - 1}/${file.size}`);
      this.contentLength = count;
      super.prepareNow(request);
      if (count === 0 || request.method === "HEAD" || this.status === 204 || this.status === 304) return null;
      keep = true;
      return { file, start, count };
    } finally {
      if (!keep) closeQuietly(file.fd);
    }
  }

  #ifRangeHolds(ifRange: string | undefined, file: OpenFile, lastModified: number): boolean {
    if (ifRange === undefined) return true;
    const v = ifRange.trim();
    if (v.startsWith('"') || v.startsWith("W/")) return !v.startsWith("W/") && v === file.etag;
    const date = httpDateSeconds(v);
    return date !== null && lastModified <= date;
  }

  #bare(request: Request<any>, status: number): null {
    this.setStatus(status);
    this.contentLength = 0;
    super.prepareNow(request);
    return null;
  }

  #unsatisfiable(request: Request<any>, file: OpenFile): null {
    this.headers.set("Content-Range", `bytes */${file.size}`);
    return this.#bare(request, 416);
  }

  #notModified(request: Request<any>, file: OpenFile, lastModified: number): null {
    this.setStatus(304);
    this.headers.set("ETag", file.etag);
    this.headers.set("Last-Modified", new Date(lastModified * 1000).toUTCString());
    super.prepareNow(request);
    return null;
  }

  /** Read the planned bytes and write them with back-pressure; the descriptor is closed in any case. */
  async #pump(plan: BodyPlan): Promise<void> {
    const stream = fs.createReadStream(plan.file.path, {
      fd: plan.file.fd,
      start: plan.start,
      end: plan.start + plan.count - 1,
      highWaterMark: this.chunkSize,
      autoClose: true,
    });
    try {
      for await (const chunk of stream) await this.write(chunk as Buffer);
    } catch (e) {
      const res = this.nodeResponse;
      if (res !== null && !res.destroyed) res.destroy();
      throw e;
    } finally {
      stream.destroy();
    }
    this.#bodyPending = false;
    super.endNow();
  }

  /** Open the file, send the headers and the whole body (as aiohttp's `prepare`). */
  override async prepare(request: Request<any>): Promise<void> {
    if (this.prepared) return;
    const opened = await this.#openAsync(request);
    if (this.prepared) {
      if (!(opened instanceof Error)) closeQuietly(opened.fd);
      return;
    }
    const plan = this.#head(request, opened);
    if (plan === null) return;
    this.#bodyPending = true;
    await this.#pump(plan);
  }

  /** @internal The server's synchronous path (a handler returned an unprepared `FileResponse`). */
  override prepareNow(request: Request<any>): void {
    if (this.prepared) return;
    const plan = this.#head(request, this.#openSync(request));
    if (plan === null) return;
    this.#bodyPending = true;
    this.#pump(plan).catch((e: unknown) => {
      if (e instanceof ConnectionResetError)
        webLogger.debug(`Client disconnected while sending ${this.path}`);
      else webLogger.error(`Error sending ${this.path}: ${(e as Error)?.stack ?? String(e)}`);
    });
  }

  /** @internal While the body is being streamed, the stream ends the response. */
  override endNow(data?: Uint8Array | string): void {
    if (this.#bodyPending) return;
    super.endNow(data);
  }
}
