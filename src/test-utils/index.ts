/**
 * aiots/test — testing utilities: the virtual-time loop, `TestServer` (an application on a free
 * port), `TestClient` (a client session aimed at it, taking paths) and `makeMockedRequest` (a
 * request without a socket).
 *
 * ```ts
 * import { VirtualTimeLoop } from "aiots/test";
 * await asyncio.run(main, { virtualTime: true }); // or: new VirtualTimeLoop().runUntilComplete(main)
 * ```
 * @packageDocumentation
 */
export { VirtualTimeLoop } from "../asyncio/virtual-time.js";
export { VERSION } from "../version.js";
export { TestClient } from "./client.js";
export { type MockedRequestOptions, makeMockedRequest, TestServer } from "./web.js";
