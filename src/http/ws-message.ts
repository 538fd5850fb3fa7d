/**
 * The WebSocket message model (aiohttp's `http_websocket`): message types, close codes, the
 * received message, and the errors — what the server's `WebSocketResponse` and the client's
 * `ClientWebSocketResponse` hand to user code (both through `ws-channel.ts`).
 */
import { Buffer } from "node:buffer";
import { inspect } from "node:util";

/** Message types (aiohttp's `WSMsgType`, same values). */
export const WSMsgType = {
  CONTINUATION: 0,
  TEXT: 1,
  BINARY: 2,
  PING: 9,
  PONG: 10,
  CLOSE: 8,
  CLOSING: 256,
  CLOSED: 257,
  ERROR: 258,
} as const;
export type WSMsgType = (typeof WSMsgType)[keyof typeof WSMsgType];

/** Close codes (aiohttp's `WSCloseCode`, RFC 6455 §7.4.1). */
export const WSCloseCode = {
  OK: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  ABNORMAL_CLOSURE: 1006,
  INVALID_TEXT: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  MANDATORY_EXTENSION: 1010,
  INTERNAL_ERROR: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  BAD_GATEWAY: 1014,
} as const;
export type WSCloseCode = (typeof WSCloseCode)[keyof typeof WSCloseCode];

/** A protocol error on a WebSocket (aiohttp's `WebSocketError`): `code` is the close code sent. */
export class WebSocketError extends Error {
  readonly code: number;
  constructor(code: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "WebSocketError";
    this.code = code;
  }
}

/** `receiveStr()` / `receiveBytes()` got another kind of message (aiohttp's `WSMessageTypeError`). */
export class WSMessageTypeError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = "WSMessageTypeError";
  }
}

interface WSMessageOf<T extends WSMsgType, D, E> {
  readonly type: T;
  readonly data: D;
  readonly extra: E;
  /** `data` parsed as JSON (with `loads`, default `JSON.parse`). */
  json(loads?: (text: string) => unknown): unknown;
}

/** A received message (aiohttp's `WSMessage`): `type`, `data`, `extra`. */
export type WSMessage =
  | WSMessageOf<typeof WSMsgType.TEXT, string, null>
  | WSMessageOf<typeof WSMsgType.BINARY, Buffer, null>
  | WSMessageOf<typeof WSMsgType.PING | typeof WSMsgType.PONG, Buffer, null>
  /** `data` is the close code, `extra` the reason. */
  | WSMessageOf<typeof WSMsgType.CLOSE, number, string>
  | WSMessageOf<typeof WSMsgType.CLOSING | typeof WSMsgType.CLOSED, null, null>
  | WSMessageOf<typeof WSMsgType.ERROR, Error, null>;

class Message {
  constructor(
    readonly type: WSMsgType,
    readonly data: unknown,
    readonly extra: unknown,
  ) {}

  json(loads: (text: string) => unknown = JSON.parse): unknown {
    const d = this.data;
    return loads(typeof d === "string" ? d : Buffer.isBuffer(d) ? d.toString("utf8") : String(d));
  }

  [inspect.custom](): string {
    const name = Object.keys(WSMsgType).find((k) => WSMsgType[k as keyof typeof WSMsgType] === this.type);
    return `WSMessage(${name}, ${inspect(this.data, { depth: 0 })}, ${inspect(this.extra)})`;
  }
}

/** @internal A message of `type` (what a channel's reader buffers). */
export function message(type: WSMsgType, data: unknown = null, extra: unknown = null): WSMessage {
  return new Message(type, data, extra) as unknown as WSMessage;
}

/** @internal What `receive()` returns while the connection closes. */
export const CLOSING_MESSAGE = message(WSMsgType.CLOSING);
/** @internal What `receive()` returns once the connection is closed. */
export const CLOSED_MESSAGE = message(WSMsgType.CLOSED);

/** @internal A close code a peer may send or receive (RFC 6455 §7.4). */
export function isValidCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
      (code >= 3000 && code <= 4999))
  );
}

/** @internal The close code `ws` sends for one of its errors. */
export function closeCodeOf(err: Error): number {
  const code = (err as { code?: string }).code;
  if (code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") return WSCloseCode.MESSAGE_TOO_BIG;
  if (code === "WS_ERR_INVALID_UTF8") return WSCloseCode.INVALID_TEXT;
  return WSCloseCode.PROTOCOL_ERROR;
}
