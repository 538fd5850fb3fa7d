/**
 * aiots/test — testing utilities. Today: the virtual-time loop. `TestServer`/`TestClient` arrive
 * with the web server and client issues.
 *
 * ```ts
 * import { VirtualTimeLoop } from "aiots/test";
 * await asyncio.run(main, { virtualTime: true }); // or: new VirtualTimeLoop().runUntilComplete(main)
 * ```
 * @packageDocumentation
 */
export { VirtualTimeLoop } from "../asyncio/virtual-time.js";
export { VERSION } from "../version.js";
