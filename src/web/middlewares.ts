/**
 * Middlewares (aiohttp's `web_middlewares`): `async (request, handler) => response`, outermost
 * first, and `normalizePathMiddleware`.
 *
 * A middleware may be an async function or a generator coroutine function; `handler` is the rest
 * of the chain (the next middleware, then the route's handler). Sub-application middlewares run
 * after the parent's, for the sub-application's routes only.
 */
import { inspect } from "node:util";
import { ArgumentTypeError } from "../index.js";
import { type HTTPException, type HTTPMove, HTTPPermanentRedirect } from "./exceptions.js";
import { normalizePathCandidates, type NormalizePathOptions as PathCandidateOptions } from "./path-params.js";
import type { Request } from "./request.js";
import type { StreamResponse } from "./response.js";

/** What a handler may return (or resolve to): a response, or an HTTP exception to send. */
export type HandlerResult =
  | StreamResponse
  | HTTPException
  | PromiseLike<StreamResponse | HTTPException>
  | Generator<unknown, StreamResponse | HTTPException, any>;

/** A request handler: an async function, a generator coroutine function, or a plain function. */
export type Handler<R extends Request<any> = Request<any>> = (request: R) => HandlerResult;

/** The rest of the chain, as a middleware sees it: always a promise of the response. */
export type NextHandler = (request: Request<any>) => Promise<StreamResponse>;

/** A middleware: `async (request, handler) => response`. */
export type Middleware = (request: Request<any>, handler: NextHandler) => HandlerResult;

/**
 * aiohttp's `@web.middleware` decorator is not needed (every middleware is "new style"); this
 * identity function is kept so ported code reads the same, and it checks its argument.
 */
export function middleware<M extends Middleware>(fn: M): M {
  if (typeof fn !== "function")
    throw new ArgumentTypeError(`middleware must be a function, got ${inspect(fn)}`);
  return fn;
}

/** Options of {@link normalizePathMiddleware}. */
export interface NormalizePathOptions extends PathCandidateOptions {
  /** The redirect to send (default HTTPPermanentRedirect, 308). */
  redirectClass?: new (
    location: string,
  ) => HTTPMove;
}

/**
 * When a request does not resolve (404), try the normalised forms of its path — merged slashes,
 * then an added (or removed) trailing slash, then both — and redirect to the first that resolves,
 * keeping the query string.
 * @throws {ArgumentTypeError} when both appendSlash and removeSlash are set.
 * @see https://docs.aiohttp.org/en/stable/web_reference.html#aiohttp.web.normalize_path_middleware
 */
export function normalizePathMiddleware(options: NormalizePathOptions = {}): Middleware {
  const appendSlash = options.appendSlash ?? true;
  const removeSlash = options.removeSlash ?? false;
  const mergeSlashes = options.mergeSlashes ?? true;
  const Redirect = options.redirectClass ?? HTTPPermanentRedirect;
  if (appendSlash && removeSlash) throw new ArgumentTypeError("Cannot both remove and append slash");
  return async (request, handler) => {
    if (!request.matchInfo.isNotFound) return await handler(request);
    const path = request.rawPath;
    // The candidates never start with `//`: no protocol-relative Location (GHSA-v6wp-4m6f-gcjg).
    for (const candidate of normalizePathCandidates(path, { appendSlash, removeSlash, mergeSlashes })) {
      if (candidate === path) continue;
      if (request.app.router.resolves(request.method, candidate)) {
        const qs = request.queryString;
        throw new Redirect(qs === "" ? candidate : `${candidate}?${qs}`);
      }
    }
    return await handler(request);
  };
}
