/**
 * Multi-valued, insertion-ordered maps: Python's `multidict.MultiDict` and `MultiDictProxy` (the
 * case-insensitive pair, for headers, is in `headers.ts`).
 *
 * Storage is one flat array `[name, value, name, value, …]` — the shape of Node's `rawHeaders` and of
 * what `res.writeHead` accepts — so building from a request and writing a response copy nothing until
 * needed: a dict can wrap a caller's flat array (copied on its first write) or a parser (run on its
 * first read). Lookups scan the array, which beats hashing for the dozen or so entries a header set or
 * a query string holds.
 *
 * Differences from Python: iteration (`for…of`, `entries()`) yields `[name, value]` pairs, as a `Map`
 * does; `d[k]` is `getOne(k)`, `k in d` is `has(k)`, `len(d)` is `size`, `del d[k]` is `delete(k)`
 * (returning whether anything was removed instead of raising); `getAll(k)` of a missing name is `[]`
 * (pass a default to get that instead), while `getOne` raises {@link KeyError} as in Python.
 * @see https://multidict.aio-libs.org/en/stable/multidict/
 * @module
 */
import { inspect } from "node:util";
import { brand } from "../asyncio/kernel.js";
import { ArgumentTypeError, RuntimeError, ValueError } from "../index.js";
import { checkHeaderName, checkHeaderValue } from "./validate.js";

/** What a multidict is built or extended from: pairs (arrays, `Map`, `URLSearchParams`, WHATWG `Headers`, another multidict) or a plain object. */
export type MultiDictInit<V = string> = Iterable<readonly [string, V]> | Readonly<Record<string, V>>;

/** Options of the multidict constructors. */
export interface MultiDictOptions {
  /**
   * Check every name and value written, with the header rules of `validate.ts` (name an RFC 9110
   * token; value a string without CR, LF, NUL …): a bad one throws `ValueError` where it is set.
   * Meant for response headers. Default `false`.
   */
  validate?: boolean;
}

/**
 * Python's `KeyError`: {@link BaseMultiDict.getOne}, `popOne`, `popAll` or `popItem` found no such key
 * (and were given no default). `key` holds it; the message is Python's repr of it (`'X-Missing'`).
 */
export class KeyError extends Error {
  /** Stable machine-readable code. */
  readonly code: string = "AIOTS_ERR_KEY";
  /** The key that was not found. */
  readonly key: string;
  constructor(key: string, message?: string) {
    super(message ?? `'${key}'`);
    this.name = "KeyError";
    this.key = key;
  }
}
brand(KeyError, "KeyError"); // cross-realm instanceof, as the core's errors

type Flat<V> = Array<string | V>;

/** The shared state of a dict and of every proxy over it. */
class Store<V> {
  /** `[name, value, …]`; possibly the caller's array (then `shared`) or not yet built (`lazy`). */
  kv: Flat<V> = [];
  shared = false;
  lazy: (() => Flat<V>) | null = null;
  /** Lowercased names of a case-insensitive store, built on its first lookup and kept in step. */
  ids: string[] | null = null;
  /** Bumped by every write, so iterators notice. */
  version = 0;
  frozen = false;
  constructor(
    readonly ci: boolean,
    readonly validate: boolean,
  ) {}

  pairs(): Flat<V> {
    if (this.lazy !== null) {
      const build = this.lazy;
      this.lazy = null;
      this.kv = build();
    }
    return this.kv;
  }

  id(name: string): string {
    return this.ci ? name.toLowerCase() : name;
  }

  /** Index (in pairs) of the first pair whose identity is `id`, from pair `from`; -1 if none. */
  find(id: string, from = 0): number {
    const kv = this.pairs();
    if (!this.ci) {
      for (let i = from * 2; i < kv.length; i += 2) if (kv[i] === id) return i >> 1;
      return -1;
    }
    let ids = this.ids;
    if (ids === null) {
      ids = this.ids = new Array<string>(kv.length >> 1);
      for (let i = 0; i < ids.length; i++) ids[i] = (kv[2 * i] as string).toLowerCase();
    }
    return ids.indexOf(id, from);
  }

  /** Before a write: refuse if frozen, take a private copy of a shared array, invalidate iterators. */
  write(owner: object, what: string): Flat<V> {
    if (this.frozen) throw new TypeError(`${owner.constructor.name} is frozen (read-only): cannot ${what}`);
    const kv = this.pairs();
    if (this.shared) {
      this.kv = kv.slice();
      this.shared = false;
    }
    this.version++;
    return this.kv;
  }

  check(name: unknown, value: unknown): void {
    if (this.validate) checkHeaderValue(value as string, checkHeaderName(name as string));
    else if (typeof name !== "string")
      throw new ArgumentTypeError(`multidict keys must be strings, got ${typeof name}`);
  }

  push(name: string, value: V): void {
    this.kv.push(name, value);
    this.ids?.push(this.id(name));
  }

  replaceAt(i: number, name: string, value: V): void {
    this.kv[2 * i] = name;
    this.kv[2 * i + 1] = value;
    if (this.ids !== null) this.ids[i] = this.id(name);
  }

  removeAt(i: number): void {
    this.kv.splice(2 * i, 2);
    this.ids?.splice(i, 1);
  }

  /** Remove every pair with identity `id` from pair `from` on; returns their values. */
  removeAll(id: string, from = 0): V[] {
    const { kv, ids } = this;
    const removed: V[] = [];
    let w = from;
    for (let r = from; r < kv.length >> 1; r++) {
      if ((ids !== null ? ids[r] : this.id(kv[2 * r] as string)) === id) {
        removed.push(kv[2 * r + 1] as V);
        continue;
      }
      if (w !== r) {
        kv[2 * w] = kv[2 * r]!;
        kv[2 * w + 1] = kv[2 * r + 1]!;
        if (ids !== null) ids[w] = ids[r]!;
      }
      w++;
    }
    kv.length = 2 * w;
    if (ids !== null) ids.length = w;
    return removed;
  }

  replaceAll(kv: Flat<V>): void {
    this.kv = kv;
    this.ids = null;
  }
}

function* walk<V, T>(
  s: Store<V>,
  owner: object,
  pick: (kv: Flat<V>, i: number) => T,
): Generator<T, undefined> {
  const version = s.version;
  for (let i = 0; ; i += 2) {
    if (s.version !== version) throw new RuntimeError(`${owner.constructor.name} changed during iteration`);
    const kv = s.pairs();
    if (i >= kv.length) return undefined;
    yield pick(kv, i);
  }
}

let storeOf!: <V>(d: BaseMultiDict<V>) => Store<V>;
let isDict!: (x: object) => x is BaseMultiDict<unknown>;

/** The pairs of `init` as a new flat array; every name must be a string. */
function collect<V>(init: MultiDictInit<V> | BaseMultiDict<V>): Flat<V> {
  if (typeof init !== "object" || init === null)
    throw new ArgumentTypeError(`cannot build a multidict from ${init === null ? "null" : typeof init}`);
  if (isDict(init)) return flatCopy(init as BaseMultiDict<V>);
  const out: Flat<V> = [];
  if (Symbol.iterator in init) {
    let n = 0;
    for (const item of init as Iterable<readonly [string, V]>) {
      if (item === null || typeof item !== "object")
        throw new ArgumentTypeError(`multidict update sequence element #${n} is not a [name, value] pair`);
      if (item.length !== 2)
        throw new ValueError(
          `multidict update sequence element #${n} has length ${item.length}; 2 is required`,
        );
      if (typeof item[0] !== "string")
        throw new ArgumentTypeError(`multidict keys must be strings, got ${typeof item[0]} (element #${n})`);
      out.push(item[0], item[1]);
      n++;
    }
  } else for (const [name, value] of Object.entries(init as Record<string, V>)) out.push(name, value);
  return out;
}

/**
 * The read-only API shared by every multidict and proxy: Python's `MultiMapping`. Accept this type
 * where either a dict or a proxy will do.
 *
 * It is readable wherever a WHATWG `Headers`-like object is read (`get`, `has`, `forEach`, iteration),
 * with the multidict meaning: `get` returns the *first* value (not all of them joined), iteration
 * yields every pair with its original name case, in insertion order.
 */
export abstract class BaseMultiDict<V = string> implements Iterable<[string, V]> {
  /** Whether names compare case-insensitively (`true` for `CIMultiDict` and `CIMultiDictProxy`). */
  static readonly caseInsensitive: boolean = false;
  #store: Store<V>;

  static {
    storeOf = <V>(d: BaseMultiDict<V>): Store<V> => d.#store;
    isDict = (x: object): x is BaseMultiDict<unknown> => #store in x;
  }

  /** Build from `init` (pairs or a plain object); a proxy passes `view` to share that dict's pairs. */
  protected constructor(init?: MultiDictInit<V> | null, options?: MultiDictOptions, view?: BaseMultiDict<V>) {
    if (view !== undefined) {
      this.#store = view.#store;
      return;
    }
    const s = new Store<V>((new.target as typeof BaseMultiDict).caseInsensitive, options?.validate === true);
    this.#store = s;
    if (init === undefined || init === null) return;
    const kv = collect(init);
    for (let i = 0; i < kv.length; i += 2) s.check(kv[i], kv[i + 1]);
    s.kv = kv;
  }

  /** Number of pairs (Python's `len(d)`), counting every value of a repeated name. */
  get size(): number {
    return this.#store.pairs().length >> 1;
  }

  /** Whether writes are checked with the header rules (the `validate` option). */
  get validating(): boolean {
    return this.#store.validate;
  }

  /** Whether writes are refused (after `freeze()`); a proxy reports the state of its dict. */
  get frozen(): boolean {
    return this.#store.frozen;
  }

  /** The first value for `name`, or `undefined` (or `defaultValue`) when there is none. */
  get(name: string): V | undefined;
  get<D>(name: string, defaultValue: D): V | D;
  get(name: string, defaultValue?: unknown): unknown {
    const s = this.#store;
    const i = s.find(s.id(name));
    return i === -1 ? defaultValue : s.kv[2 * i + 1];
  }

  /**
   * The first value for `name` (Python's `d.getone(name)` and `d[name]`).
   * @throws {@link KeyError} when there is none and no `defaultValue` was passed.
   */
  getOne(name: string): V;
  getOne<D>(name: string, defaultValue: D): V | D;
  getOne(name: string, ...defaultValue: unknown[]): unknown {
    const s = this.#store;
    const i = s.find(s.id(name));
    if (i !== -1) return s.kv[2 * i + 1];
    if (defaultValue.length > 0) return defaultValue[0];
    throw new KeyError(name);
  }

  /**
   * Every value for `name`, in order; `[]` when there is none, or `defaultValue` if one was passed.
   * Differences from Python: `getall` raises `KeyError` for a missing name; here that is `[]`.
   */
  getAll(name: string): V[];
  getAll<D>(name: string, defaultValue: D): V[] | D;
  getAll(name: string, ...defaultValue: unknown[]): unknown {
    const s = this.#store;
    const id = s.id(name);
    const out: V[] = [];
    for (let i = s.find(id); i !== -1; i = s.find(id, i + 1)) out.push(s.kv[2 * i + 1] as V);
    return out.length === 0 && defaultValue.length > 0 ? defaultValue[0] : out;
  }

  /** Whether `name` has at least one value (Python's `name in d`). */
  has(name: string): boolean {
    const s = this.#store;
    return s.find(s.id(name)) !== -1;
  }

  /** Every name, once per value, in order, with its original case. */
  keys(): Generator<string, undefined> {
    return walk(this.#store, this, (kv, i) => kv[i] as string);
  }

  /** Every value, in order. */
  values(): Generator<V, undefined> {
    return walk(this.#store, this, (kv, i) => kv[i + 1] as V);
  }

  /**
   * Every `[name, value]` pair, in insertion order (Python's `items()`).
   * @throws {@link RuntimeError} from the iterator when the dict changed since iteration began.
   */
  entries(): Generator<[string, V], undefined> {
    return walk(this.#store, this, (kv, i) => [kv[i] as string, kv[i + 1] as V]);
  }

  /** Same as {@link entries}. */
  [Symbol.iterator](): Generator<[string, V], undefined> {
    return this.entries();
  }

  /** Call `callback(value, name, this)` for every pair, in order (the `Headers`/`Map` signature). */
  forEach(callback: (value: V, name: string, parent: this) => void, thisArg?: unknown): void {
    for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
  }

  /**
   * Python's `==`. Against another multidict: the same pairs in the same order (names compared by
   * this dict's rule, values with `===`). Against a plain object or a `Map`: each of its keys has
   * exactly one value here, equal to its own, and nothing else. Against other pairs: as a multidict.
   */
  equals(other: BaseMultiDict<V> | MultiDictInit<V>): boolean {
    const s = this.#store;
    const mine = s.pairs();
    const mapping = other instanceof Map || !(Symbol.iterator in other);
    const theirs = collect(other);
    if (mine.length !== theirs.length) return false;
    if (mapping) {
      for (let i = 0; i < theirs.length; i += 2) {
        const j = s.find(s.id(theirs[i] as string));
        if (j === -1 || mine[2 * j + 1] !== theirs[i + 1]) return false;
      }
      return true;
    }
    for (let i = 0; i < mine.length; i += 2)
      if (s.id(mine[i] as string) !== s.id(theirs[i] as string) || mine[i + 1] !== theirs[i + 1])
        return false;
    return true;
  }

  /** A new, mutable dict of the same kind with the same pairs (Python's `copy()`). */
  abstract copy(): MultiDict<V>;

  /** Python's repr: `<CIMultiDict('Content-Type': 'text/plain')>`. */
  [inspect.custom](): string {
    const kv = this.#store.pairs();
    const parts: string[] = [];
    for (let i = 0; i < kv.length; i += 2) parts.push(`${inspect(kv[i])}: ${inspect(kv[i + 1])}`);
    return `<${this.constructor.name}(${parts.join(", ")})>`;
  }

  /** Same as the repr. */
  toString(): string {
    return this[inspect.custom]();
  }
}

/**
 * A mutable, case-sensitive multidict (Python's `multidict.MultiDict`), as used for query strings.
 *
 * @example
 * ```ts
 * const q = MultiDict.fromQuery("tag=a&tag=b&page=2");
 * q.getAll("tag"); // ["a", "b"]
 * q.get("page");   // "2"
 * q.set("page", "3");
 * ```
 * @see https://multidict.aio-libs.org/en/stable/multidict/#multidict
 */
export class MultiDict<V = string> extends BaseMultiDict<V> {
  constructor(init?: MultiDictInit<V> | null, options?: MultiDictOptions) {
    super(init, options);
  }

  /**
   * A dict over a query string (a leading `?` is ignored) or `URLSearchParams`, decoded as a form
   * (`+` is a space, as `parse_qsl`), parsed only when first read.
   */
  static fromQuery(query: string | URLSearchParams): MultiDict<string> {
    const d = new MultiDict<string>();
    lazyFlat(d, () => {
      const kv: string[] = [];
      for (const [name, value] of typeof query === "string" ? new URLSearchParams(query) : query)
        kv.push(name, value);
      return kv;
    });
    return d;
  }

  /** Append a pair, keeping the values already there (Python's `add`). */
  add(name: string, value: V): void {
    const s = storeOf(this);
    s.check(name, value);
    s.write(this, `add ${JSON.stringify(name)}`);
    s.push(name, value);
  }

  /**
   * Make `value` the only value of `name` (Python's `d[name] = value`): the first pair is replaced in
   * place, later ones removed; a new name is appended.
   */
  set(name: string, value: V): void {
    const s = storeOf(this);
    s.check(name, value);
    s.write(this, `set ${JSON.stringify(name)}`);
    const id = s.id(name);
    const i = s.find(id);
    if (i === -1) s.push(name, value);
    else {
      s.replaceAt(i, name, value);
      s.removeAll(id, i + 1);
    }
  }

  /** The first value of `name`; when there is none, add `value` and return it (Python's `setdefault`). */
  setDefault(name: string, value: V): V {
    const s = storeOf(this);
    if (s.frozen) s.write(this, `setDefault ${JSON.stringify(name)}`);
    const i = s.find(s.id(name));
    if (i !== -1) return s.kv[2 * i + 1] as V;
    s.check(name, value);
    s.write(this, `setDefault ${JSON.stringify(name)}`);
    s.push(name, value);
    return value;
  }

  /** Remove every value of `name`; whether there was one (Python's `del d[name]`, without KeyError). */
  delete(name: string): boolean {
    const s = storeOf(this);
    s.write(this, `delete ${JSON.stringify(name)}`);
    return s.removeAll(s.id(name)).length > 0;
  }

  /**
   * Remove and return the first value of `name` (Python's `popone`/`pop`).
   * @throws {@link KeyError} when there is none and no `defaultValue` was passed.
   */
  popOne(name: string): V;
  popOne<D>(name: string, defaultValue: D): V | D;
  popOne(name: string, ...defaultValue: unknown[]): unknown {
    const s = storeOf(this);
    s.write(this, `popOne ${JSON.stringify(name)}`);
    const i = s.find(s.id(name));
    if (i === -1) {
      if (defaultValue.length > 0) return defaultValue[0];
      throw new KeyError(name);
    }
    const value = s.kv[2 * i + 1];
    s.removeAt(i);
    return value;
  }

  /**
   * Remove and return every value of `name` (Python's `popall`).
   * @throws {@link KeyError} when there is none and no `defaultValue` was passed.
   */
  popAll(name: string): V[];
  popAll<D>(name: string, defaultValue: D): V[] | D;
  popAll(name: string, ...defaultValue: unknown[]): unknown {
    const s = storeOf(this);
    s.write(this, `popAll ${JSON.stringify(name)}`);
    const removed = s.removeAll(s.id(name));
    if (removed.length > 0) return removed;
    if (defaultValue.length > 0) return defaultValue[0];
    throw new KeyError(name);
  }

  /**
   * Remove and return the last pair (Python's `popitem`).
   * @throws {@link KeyError} when the dict is empty.
   */
  popItem(): [string, V] {
    const s = storeOf(this);
    const kv = s.write(this, "popItem");
    if (kv.length === 0) throw new KeyError("", "popItem(): dictionary is empty");
    const pair: [string, V] = [kv[kv.length - 2] as string, kv[kv.length - 1] as V];
    s.removeAt((kv.length >> 1) - 1);
    return pair;
  }

  /** Append every pair of `init`, keeping what is there (Python's `extend`). */
  extend(init: MultiDictInit<V>): void {
    const s = storeOf(this);
    const add = collect(init);
    for (let i = 0; i < add.length; i += 2) s.check(add[i], add[i + 1]);
    s.write(this, "extend");
    for (let i = 0; i < add.length; i += 2) s.push(add[i] as string, add[i + 1] as V);
  }

  /**
   * Python's `update`: the names of `init` get exactly its values — existing pairs of a name are
   * replaced in place, one by one, extra old ones removed, extra new ones appended; other names stay.
   */
  update(init: MultiDictInit<V>): void {
    const s = storeOf(this);
    const add = collect(init);
    for (let i = 0; i < add.length; i += 2) s.check(add[i], add[i + 1]);
    const kv = s.write(this, "update");
    const groups = new Map<string, { pairs: Flat<V>; used: number }>();
    for (let i = 0; i < add.length; i += 2) {
      const id = s.id(add[i] as string);
      let g = groups.get(id);
      if (g === undefined) groups.set(id, (g = { pairs: [], used: 0 }));
      g.pairs.push(add[i]!, add[i + 1]!);
    }
    const out: Flat<V> = [];
    for (let i = 0; i < kv.length; i += 2) {
      const g = groups.get(s.id(kv[i] as string));
      if (g === undefined) out.push(kv[i]!, kv[i + 1]!);
      else if (g.used < g.pairs.length) out.push(g.pairs[g.used++]!, g.pairs[g.used++]!);
    }
    for (const g of groups.values()) for (let i = g.used; i < g.pairs.length; i++) out.push(g.pairs[i]!);
    s.replaceAll(out);
  }

  /** Remove every pair. */
  clear(): void {
    storeOf(this).write(this, "clear");
    storeOf(this).replaceAll([]);
  }

  /**
   * Refuse every later write (a `TypeError` naming the operation) — for a dict handed out read-only,
   * like response headers once sent. Irreversible; proxies over it stay readable. Returns `this`.
   */
  freeze(): this {
    storeOf(this).frozen = true;
    return this;
  }

  override copy(): MultiDict<V> {
    return new MultiDict<V>(this, { validate: this.validating });
  }
}

/**
 * A read-only, live view of a {@link MultiDict} (Python's `MultiDictProxy`): it sees the dict's later
 * changes and has no way to make any.
 * @throws {@link ArgumentTypeError} from the constructor unless given a `MultiDict` or `MultiDictProxy`.
 * @see https://multidict.aio-libs.org/en/stable/multidict/#multidictproxy
 */
export class MultiDictProxy<V = string> extends BaseMultiDict<V> {
  constructor(dict: MultiDict<V> | MultiDictProxy<V>) {
    if (!(dict instanceof MultiDict || dict instanceof MultiDictProxy))
      throw new ArgumentTypeError(`${new.target.name} requires a MultiDict or MultiDictProxy instance`);
    super(null, undefined, dict);
  }

  override copy(): MultiDict<V> {
    return new MultiDict<V>(this, { validate: this.validating });
  }
}

/**
 * Make `d` read `source`: a flat array used as is (copied before the first write, so the caller must
 * not change it afterwards) or a function building one on the first read.
 * @internal
 */
export function lazyFlat<V>(
  d: BaseMultiDict<V>,
  source: Array<string | V> | (() => Array<string | V>),
): void {
  const s = storeOf(d);
  s.ids = null;
  if (typeof source === "function") {
    s.kv = [];
    s.lazy = source;
  } else {
    s.kv = source;
    s.lazy = null;
    s.shared = true;
  }
}

/** A copy of `d`'s pairs as a flat array `[name, value, …]`. @internal */
export function flatCopy<V>(d: BaseMultiDict<V>): Array<string | V> {
  return storeOf(d).pairs().slice();
}
