/**
 * `ClientTimeout` (aiohttp's `ClientTimeout`): the client's time limits, in seconds.
 */
import { inspect } from "node:util";
import { ValueError } from "../index.js";

/** Options of {@link ClientTimeout}: each a number of seconds, or `null` for no limit. */
export interface ClientTimeoutOptions {
  /** The whole operation: connecting, sending, the response and reading its body. */
  total?: number | null;
  /** Getting a connection: waiting for a free one in the pool and establishing a new one. */
  connect?: number | null;
  /** Between two reads of the response (its headers, then each chunk of its body). */
  sockRead?: number | null;
  /** Establishing a new connection (TCP and TLS). */
  sockConnect?: number | null;
}

function seconds(name: string, v: number | null | undefined): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== "number" || Number.isNaN(v) || v < 0)
    throw new ValueError(`ClientTimeout ${name} must be a number of seconds ≥ 0 or null, got ${inspect(v)}`);
  // aiohttp treats 0 as "no timeout" too.
  return v === 0 || v === Number.POSITIVE_INFINITY ? null : v;
}

/**
 * The client's time limits in seconds (`null`: none). A session's default is
 * `{ total: 300, sockConnect: 30 }`, as aiohttp's; a request's `timeout` option replaces it.
 * Expiry raises a `ServerTimeoutError` (a `TimeoutError`): `ConnectionTimeoutError` for
 * `connect`/`sockConnect`, `SocketTimeoutError` for `sockRead`.
 * @see https://docs.aiohttp.org/en/stable/client_reference.html#clienttimeout
 */
export class ClientTimeout {
  readonly total: number | null;
  readonly connect: number | null;
  readonly sockRead: number | null;
  readonly sockConnect: number | null;

  constructor(options: ClientTimeoutOptions = {}) {
    if (options === null || typeof options !== "object")
      throw new ValueError(`ClientTimeout takes an options object, got ${inspect(options)}`);
    this.total = seconds("total", options.total);
    this.connect = seconds("connect", options.connect);
    this.sockRead = seconds("sockRead", options.sockRead);
    this.sockConnect = seconds("sockConnect", options.sockConnect);
    Object.freeze(this);
  }

  /** A copy with some limits changed (Python's `attrs.evolve(timeout, …)`). */
  with(options: ClientTimeoutOptions): ClientTimeout {
    return new ClientTimeout({
      total: "total" in options ? options.total : this.total,
      connect: "connect" in options ? options.connect : this.connect,
      sockRead: "sockRead" in options ? options.sockRead : this.sockRead,
      sockConnect: "sockConnect" in options ? options.sockConnect : this.sockConnect,
    });
  }

  [inspect.custom](): string {
    return `ClientTimeout(total=${this.total}, connect=${this.connect}, sockRead=${this.sockRead}, sockConnect=${this.sockConnect})`;
  }
}

/** aiohttp's default: five minutes in all, thirty seconds to connect a socket. */
export const DEFAULT_TIMEOUT = new ClientTimeout({ total: 300, sockConnect: 30 });
