/**
 * Static files (aiohttp's `StaticResource`): `router.addStatic("/static", dir)` registers
 * `GET`/`HEAD /static/{filename:.*}` and answers each request with a {@link FileResponse} for the
 * file under `dir`, a directory index (`showIndex`), 403 for a directory without one, or 404.
 *
 * Nothing outside `dir` is ever served. The matched name (already percent-decoded once by the
 * router, `%2F` included) is refused with a 404 when it holds a NUL, another control byte or a
 * backslash, is absolute, or resolves — lexically — outside `dir`; then, unless `followSymlinks`,
 * its real path (every symlink resolved) must still be inside the real `dir`. Every refusal, a
 * missing file and a symlink loop are the same bare 404, so an answer never tells what exists
 * outside `dir`. Double encoding (`%252e%252e`) is decoded once only and names a file called
 * `%2e%2e`. Only regular files are sent (a FIFO or a device is a 404).
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { inspect } from "node:util";
import { ArgumentTypeError, ValueError } from "../index.js";
import { HTTPForbidden, HTTPNotFound } from "./exceptions.js";
import { FileResponse } from "./file-response.js";
import type { QueryParams } from "./path-params.js";
import type { Request } from "./request.js";
import { Response } from "./response.js";
import type { ResourceRoute, UrlDispatcher } from "./urldispatcher.js";

/** Options of `router.addStatic`. */
export interface StaticOptions {
  /** Route name (for `router.urlFor(name, { filename })`). */
  name?: string;
  /** Answer a directory with an HTML index of its entries (default false: 403). */
  showIndex?: boolean;
  /** Follow symlinks that lead outside `dir` (default false: such a link is a 404). */
  followSymlinks?: boolean;
  /** `urlFor` appends `?v=<hash of the file's content>` (default false). */
  appendVersion?: boolean;
  /** Bytes read at a time for each file (default 256 KiB). */
  chunkSize?: number;
}

/** The query parameter `appendVersion` adds (aiohttp's `VERSION_KEY`). */
export const VERSION_KEY = "v";

/** A NUL, another control byte or a backslash anywhere in the name. */
function unsafeName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x5c) return true;
  }
  return false;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function within(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(nodePath.sep) ? root : root + nodePath.sep);
}

/**
 * A static directory registered with `router.addStatic(prefix, dir, options)`.
 * @see https://docs.aiohttp.org/en/stable/web_reference.html#aiohttp.web.UrlDispatcher.add_static
 */
export class StaticResource {
  /** The URL prefix (without a trailing `/`). */
  readonly prefix: string;
  /** The real path of the directory served. */
  readonly directory: string;
  readonly showIndex: boolean;
  readonly followSymlinks: boolean;
  readonly appendVersion: boolean;
  /** The `GET` route (`HEAD` is implied). */
  readonly route: ResourceRoute;
  readonly #router: UrlDispatcher;
  readonly #name: string | undefined;
  readonly #chunkSize: number | undefined;

  /** @internal Made by `router.addStatic`. */
  constructor(router: UrlDispatcher, prefix: string, dir: string, options: StaticOptions = {}) {
    if (typeof prefix !== "string" || !prefix.startsWith("/"))
      throw new ArgumentTypeError(`prefix must be a string starting with /, got ${inspect(prefix)}`);
    if (typeof dir !== "string") throw new ArgumentTypeError(`dir must be a string, got ${inspect(dir)}`);
    if (options === null || typeof options !== "object")
      throw new ArgumentTypeError(`options must be an object, got ${inspect(options)}`);
    let real: string;
    try {
      real = fs.realpathSync(dir);
      if (!fs.statSync(real).isDirectory()) throw new Error("not a directory");
    } catch {
      throw new ValueError(`No directory exists at '${dir}'`);
    }
    this.prefix = prefix.replace(/\/+$/, "");
    this.directory = real;
    this.showIndex = options.showIndex ?? false;
    this.followSymlinks = options.followSymlinks ?? false;
    this.appendVersion = options.appendVersion ?? false;
    this.#router = router;
    this.#name = options.name;
    this.#chunkSize = options.chunkSize;
    this.route = router.addGet(`${this.prefix}/{filename:.*}`, (request) => this.#handle(request), {
      ...(options.name === undefined ? {} : { name: options.name }),
    });
  }

  /**
   * The URL of `filename` under the prefix (with `?v=…` when `appendVersion` and the file exists
   * inside the directory). Named resources get their application's prefix.
   */
  urlFor(params: { filename: string }, query?: QueryParams, appendVersion = this.appendVersion): string {
    const filename = params.filename.replace(/^\/+/, "");
    let url =
      this.#name === undefined
        ? (this.route.resource.urlFor as (p: Record<string, string>) => string)({ filename })
        : this.#router.urlFor(this.#name, { filename });
    const q = new URLSearchParams();
    if (query !== undefined) for (const [k, v] of Object.entries(query)) q.append(k, String(v));
    if (appendVersion) {
      const version = this.#version(filename);
      if (version !== null) q.set(VERSION_KEY, version);
    }
    const qs = q.toString();
    if (qs !== "") url += `?${qs}`;
    return url;
  }

  #version(filename: string): string | null {
    const file = this.#resolve(filename);
    if (file === null) return null;
    try {
      if (!fs.statSync(file).isFile()) return null;
      return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("base64url");
    } catch {
      return null;
    }
  }

  /** The real (or, with `followSymlinks`, normalised) path of `filename` inside the directory, or null. */
  #resolve(filename: string): string | null {
    if (unsafeName(filename) || nodePath.isAbsolute(filename) || filename.startsWith("/")) return null;
    const joined = nodePath.resolve(this.directory, filename);
    if (!within(this.directory, joined)) return null;
    if (this.followSymlinks) return joined;
    let real: string;
    try {
      real = fs.realpathSync(joined);
    } catch {
      return null;
    }
    return within(this.directory, real) ? real : null;
  }

  async #handle(request: Request<any>): Promise<FileResponse | Response> {
    const filename = request.matchInfo.get("filename") ?? "";
    const file = this.#resolve(filename);
    if (file === null) throw new HTTPNotFound();
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(file);
    } catch {
      throw new HTTPNotFound();
    }
    if (st.isDirectory()) {
      if (!this.showIndex) throw new HTTPForbidden();
      return new Response({ text: await this.#index(file), contentType: "text/html" });
    }
    if (!st.isFile()) throw new HTTPNotFound();
    const resp = new FileResponse(file, this.#chunkSize === undefined ? {} : { chunkSize: this.#chunkSize });
    await resp.prepare(request);
    return resp;
  }

  /** aiohttp's directory index: `Index of /rel`, one link per entry, directories ending with `/`. */
  async #index(dir: string): Promise<string> {
    const rel = nodePath.relative(this.directory, dir).split(nodePath.sep).join("/");
    const relUrl = rel === "" ? "" : `/${rel.split("/").map(encodeURIComponent).join("/")}`;
    const title = `Index of /${rel}`;
    const entries = await fs.promises.readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const items = entries.map((e) => {
      const name = e.isDirectory() ? `${e.name}/` : e.name;
      const href = `${this.prefix}${relUrl}/${encodeURIComponent(e.name)}`;
      return `<li><a href="${escapeHtml(href)}">${escapeHtml(name)}</a></li>`;
    });
    return (
      `<html>\n<head>\n<title>${escapeHtml(title)}</title>\n</head>\n<body>\n<h1>${escapeHtml(title)}</h1>\n` +
      `<ul>\n${items.join("\n")}\n</ul>\n</body>\n</html>`
    );
  }

  toString(): string {
    return `<StaticResource ${this.prefix} -> ${this.directory}>`;
  }
}
