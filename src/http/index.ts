/**
 * The HTTP layer shared by the web server (`aiots/web`) and the client (`aiots/client`): header and
 * query multidicts, status reason phrases, and the checks that keep bad values off the wire.
 * It imports only the public core (`aiots`) and Node built-ins.
 * @packageDocumentation
 */

export { parseContentType, splitContentType } from "./content-type.js";
export {
  type CookieOptions,
  checkCookieName,
  checkCookieValue,
  parseCookieHeader,
  parseCookies,
  quoteCookieValue,
  serializeDeleteCookie,
  serializeSetCookie,
} from "./cookies.js";
export { CIMultiDict, CIMultiDictProxy, type LooseHeaders } from "./headers.js";
export {
  BaseMultiDict,
  KeyError,
  MultiDict,
  type MultiDictInit,
  type MultiDictOptions,
  MultiDictProxy,
} from "./multidict.js";
export { reasonFor, statusMustBeEmptyBody } from "./status.js";
export { checkHeaderName, checkHeaderValue, checkReason, checkStatus } from "./validate.js";
