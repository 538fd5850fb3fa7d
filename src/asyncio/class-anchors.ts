/**
 * Hidden-class anchors: one object of each class on the task path, kept for the life of the process.
 *
 * V8 drops a class's hidden classes (maps) once no live object has them. A program that runs a burst
 * of tasks, lets them all finish and then meets a full collection (an idle server, the next `run()`)
 * starts its next burst on fresh maps: every function optimized for the old ones is thrown away
 * ("embedded weak objects cleared", "wrong map"), and the fields generalize again (const to mutable).
 * `npm run bench`'s `gather` and `Semaphore` cases measure right after such a collection: with the
 * anchors they ran 7.5 % and 15 % faster (interleaved A/Bs of 10 and 6 rounds; README, issue 12).
 * Keeping one object of each class alive keeps their maps.
 *
 * The anchors live on a loop of their own, closed at once; the task is never scheduled, so no loop
 * lists it and it never runs.
 * @internal
 */
import type { EventLoop } from "./base-events.js";
import { Future } from "./futures.js";
import { GatheringFuture } from "./gather.js";
import { Task } from "./tasks.js";

let anchors: readonly object[] | null = null;

/**
 * Made by the first event loop of the process (see the module doc). `makeLoop` makes the anchors'
 * own loop, never in debug mode (a debug loop logs its close).
 */
export function anchorHiddenClasses(makeLoop: () => EventLoop): void {
  if (anchors !== null) return;
  anchors = []; // first: the anchor loop's own constructor comes back here
  const loop = makeLoop();
  const task = new Task(anchorBody, { loop, name: "aiots.class-anchor", eager: true });
  const future = new Future({ loop });
  const gathering = new GatheringFuture<unknown[]>([task], loop);
  loop.close();
  anchors = [task, future, gathering];
}

async function anchorBody(): Promise<void> {}
