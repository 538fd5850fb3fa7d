/**
 * Header maps: Python's `multidict.CIMultiDict` and `CIMultiDictProxy` — case-insensitive,
 * multi-valued, insertion-ordered, keeping each name's original case for the wire.
 *
 * Built for the two hot paths of a server:
 * - a request's headers wrap Node's `req.rawHeaders` as is ({@link CIMultiDict.fromRawHeaders}): no
 *   copy, no lowercasing until a header is first looked up;
 * - a response's headers come out as the flat array `res.writeHead(status, flat)` takes
 *   ({@link CIMultiDict.toRawHeaders}), and with `{ validate: true }` refuse a bad name or value
 *   (CR, LF, NUL …) where it is set.
 * @module
 */
import { ArgumentTypeError } from "../index.js";
import {
  type BaseMultiDict,
  flatCopy,
  lazyFlat,
  MultiDict,
  type MultiDictInit,
  type MultiDictOptions,
  MultiDictProxy,
} from "./multidict.js";

/**
 * A mutable, case-insensitive multidict (Python's `multidict.CIMultiDict`), the type of request and
 * response headers. Names compare case-insensitively; each pair keeps the case it was added with.
 *
 * Readable wherever a WHATWG `Headers`-like object is read (`get`, `has`, `forEach`, `for…of`, and
 * `new Headers(dict)`), with the multidict meaning: `get` returns the first value, iteration yields
 * every `[name, value]` pair in insertion order with its original case. `getSetCookie()` is there too.
 *
 * Differences from Python: see `multidict.ts` (`getAll` of a missing name is `[]`, `delete` returns a
 * boolean, iteration yields pairs).
 * @example
 * ```ts
 * const h = new CIMultiDict({ "Content-Type": "text/html" }, { validate: true });
 * h.add("Set-Cookie", "a=1");
 * h.add("set-cookie", "b=2");
 * h.get("content-type");   // "text/html"
 * h.getAll("SET-COOKIE");  // ["a=1", "b=2"]
 * h.set("X-Bad", "a\r\nb"); // ValueError: Invalid value for header "X-Bad": CR (U+000D) …
 * res.writeHead(200, h.toRawHeaders()); // ["Content-Type", "text/html", "Set-Cookie", "a=1", …]
 * ```
 * @see https://multidict.aio-libs.org/en/stable/multidict/#cimultidict
 */
export class CIMultiDict<V = string> extends MultiDict<V> {
  static override readonly caseInsensitive: boolean = true;

  constructor(init?: MultiDictInit<V> | null, options?: MultiDictOptions) {
    super(init, options);
  }

  /**
   * Headers over Node's `rawHeaders` (`[name, value, name, value, …]`, as `IncomingMessage` has
   * them), without copying or lowercasing anything until first read; the array is copied before the
   * dict's first write, so the caller must not change it afterwards. Its content is trusted (Node's
   * parser checked it), even with `{ validate: true }`, which then applies to later writes.
   * @example
   * ```ts
   * const headers = new CIMultiDictProxy(CIMultiDict.fromRawHeaders(req.rawHeaders));
   * ```
   */
  static fromRawHeaders(rawHeaders: readonly string[], options?: MultiDictOptions): CIMultiDict<string> {
    const d = new CIMultiDict<string>(null, options);
    lazyFlat(d, rawHeaders as string[]);
    return d;
  }

  /**
   * The pairs as a new flat array `[name, value, …]` with the names' original case — what
   * `res.writeHead(status, flat)` and `res.setHeaders`-free writers take, and the shape of `rawHeaders`.
   */
  toRawHeaders(): Array<string | V> {
    return flatCopy(this);
  }

  /** Every `Set-Cookie` value, in order (as WHATWG `Headers.getSetCookie()`). */
  getSetCookie(): V[] {
    return this.getAll("Set-Cookie");
  }

  /** A new, mutable `CIMultiDict` with the same pairs (and the same `validate` option). */
  override copy(): CIMultiDict<V> {
    return new CIMultiDict<V>(this, { validate: this.validating });
  }
}

/**
 * A read-only, live view of a {@link CIMultiDict} (Python's `CIMultiDictProxy`) — what a request's
 * `headers` is: it sees the dict's later changes and has no way to make any. `copy()` gives a
 * mutable `CIMultiDict`.
 * @throws {@link ArgumentTypeError} from the constructor unless given a `CIMultiDict` or `CIMultiDictProxy`.
 * @see https://multidict.aio-libs.org/en/stable/multidict/#cimultidictproxy
 */
export class CIMultiDictProxy<V = string> extends MultiDictProxy<V> {
  static override readonly caseInsensitive: boolean = true;

  constructor(dict: CIMultiDict<V> | CIMultiDictProxy<V>) {
    if (!(dict instanceof CIMultiDict || dict instanceof CIMultiDictProxy))
      throw new ArgumentTypeError(`${new.target.name} requires a CIMultiDict or CIMultiDictProxy instance`);
    super(dict);
  }

  /** The pairs as a new flat array `[name, value, …]` (see {@link CIMultiDict.toRawHeaders}). */
  toRawHeaders(): Array<string | V> {
    return flatCopy(this);
  }

  /** Every `Set-Cookie` value, in order (as WHATWG `Headers.getSetCookie()`). */
  getSetCookie(): V[] {
    return this.getAll("Set-Cookie");
  }

  /** A new, mutable `CIMultiDict` with the same pairs (and the same `validate` option). */
  override copy(): CIMultiDict<V> {
    return new CIMultiDict<V>(this, { validate: this.validating });
  }
}

/** Anything headers can be built from: pairs, a plain object, WHATWG `Headers`, a multidict or proxy. */
export type LooseHeaders = MultiDictInit<string> | BaseMultiDict<string>;
