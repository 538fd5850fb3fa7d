/**
 * Example 02 — the event loop by hand: getEventLoop, runUntilComplete, runForever + stop(),
 * isRunning, close. (Seed tutorial, "event loop" section.)
 *
 *   npm exec -- node --import tsx examples/02-event-loop.ts
 */
import * as asyncio from "aiots";

const loop = asyncio.getEventLoop();

// coroutine() makes it lazy like a Python coroutine: nothing runs until the loop runs it.
const hello = asyncio.coroutine(async function hello(): Promise<string> {
  console.log(`inside runUntilComplete: isRunning() = ${loop.isRunning()}`);
  await asyncio.sleep(0.1);
  return "hello done";
});

console.log(await loop.runUntilComplete(hello()));
console.log(`after runUntilComplete: isRunning() = ${loop.isRunning()}`);

loop.callSoon(() => {
  console.log(`inside runForever: isRunning() = ${loop.isRunning()}`);
  loop.callLater(0.1, () => {
    console.log("stop() from a callback");
    loop.stop();
  });
});
await loop.runForever();
console.log(`after runForever: isRunning() = ${loop.isRunning()}`);

loop.close();
console.log(`isClosed() = ${loop.isClosed()}`);
try {
  await loop.runUntilComplete(hello());
} catch (e) {
  console.log(`runUntilComplete after close(): ${(e as Error).name}: ${(e as Error).message}`);
}
