/**
 * aiots/web — aiohttp's server side on `node:http`: applications, routing, requests, responses,
 * middlewares, HTTP exceptions, runners and `runApp`. Every request runs in an aiots task.
 *
 * ```ts
 * import * as web from "aiots/web";
 * const app = new web.Application();
 * app.router.addGet("/users/{id}", (req) => new web.Response({ text: req.matchInfo.get("id") }));
 * await web.runApp(app, { port: 8080 });
 * ```
 * @packageDocumentation
 */
export {
  type CookieOptions,
  parseCookieHeader,
  parseCookies,
  serializeDeleteCookie,
  serializeSetCookie,
} from "../http/index.js";
export { VERSION } from "../version.js";
export {
  AppKey,
  Application,
  type ApplicationOptions,
  type AppSignal,
  type AppSignalHandler,
  type CleanupContext,
  DEFAULT_CLIENT_MAX_SIZE,
} from "./app.js";
export {
  COMPRESSION_MIN_SIZE,
  ContentCoding,
  negotiateEncoding,
} from "./compression.js";
export * from "./exceptions.js";
export { CONTENT_TYPES, FileResponse, type FileResponseOptions, guessContentType } from "./file-response.js";
export {
  AccessLogger,
  type AccessLogRecord,
  accessLogger,
  DEFAULT_ACCESS_LOG_FORMAT,
  type WebLogger,
  webLogger,
} from "./log.js";
export {
  type Handler,
  type HandlerResult,
  type Middleware,
  middleware,
  type NextHandler,
  type NormalizePathOptions,
  normalizePathMiddleware,
} from "./middlewares.js";
export {
  BodyPartReader,
  DEFAULT_CHUNK_SIZE,
  DEFAULT_MAX_PART_HEADER_SIZE,
  DEFAULT_MAX_PARTS,
  FileField,
  type FormValue,
  type MultipartOptions,
  MultipartReader,
} from "./multipart.js";
export { createMatchInfo, type MatchInfo, type PathParams, type QueryParams } from "./path-params.js";
export { Request } from "./request.js";
export {
  type JsonResponseOptions,
  jsonResponse,
  Response,
  type ResponseInit,
  type ResponseOptions,
  StreamResponse,
} from "./response.js";
export { type RunAppOptions, runApp } from "./run-app.js";
export {
  AppRunner,
  type AppRunnerOptions,
  BaseSite,
  SockSite,
  TCPSite,
  type TCPSiteOptions,
  UnixSite,
} from "./runner.js";
export type { HandlerOptions } from "./server.js";
export { type StaticOptions, StaticResource, VERSION_KEY } from "./static.js";
export {
  del,
  del as delete,
  get,
  head,
  NamedResource,
  patch,
  post,
  put,
  type ResourceRoute,
  RouteDef,
  type RouteOptions,
  route,
  UrlDispatcher,
  UrlMappingMatchInfo,
  View,
  type ViewClass,
  view,
} from "./urldispatcher.js";
export {
  WebSocketError,
  WebSocketResponse,
  type WebSocketResponseOptions,
  WSCloseCode,
  type WSMessage,
  WSMessageTypeError,
  WSMsgType,
} from "./websocket.js";
