/**
 * Hidden-class anchors: one object of each class on the task and queue paths, kept for the life of
 * the process.
 *
 * V8 drops a class's hidden classes (maps) once no live object has them. A program that runs a burst
 * of tasks, lets them all finish and then meets a full collection (an idle server, the next `run()`)
 * starts its next burst on fresh maps: every function optimized for the old ones is thrown away
 * ("embedded weak objects cleared", "wrong map"), and the fields generalize again (const to mutable).
 * `npm run bench`'s `gather` and `Semaphore` cases measure right after such a collection: with the
 * anchors they ran 7.5 % and 15 % faster (interleaved A/Bs of 10 and 6 rounds; README, issue 12).
 * Keeping one object of each class alive keeps their maps.
 *
 * The queue path has its own: a Queue, its two lazy operations, its two waits, the driver of a
 * waiting operation (`lazyOpAnchors`) and a Reaction. Without them a collection after a producer /
 * consumer run threw away the optimized code of the whole queue path (some 30 functions), and the next
 * run compiled it all again on the same core: 54 → 32 ms of V8 compiler-thread time in the bench's
 * measured run of 1 M items, the run 13 % shorter (README, issue 12).
 *
 * The anchors also take each field through the changes objects of their class go through in their
 * lives (see `settleFields`): V8 deoptimizes the code that relied on a field being constant, or on a
 * field holding only objects, when the first object changes it — otherwise in the middle of the first
 * burst of tasks, after that code had just been optimized for it.
 *
 * The anchors live on a loop of their own, stopped and closed at once; the task is never scheduled, so
 * no loop lists it and it never runs (it is finished directly, see below). The queue and its
 * operations are never awaited or stepped.
 * @internal
 */
import type { EventLoop } from "./base-events.js";
import { STARTED } from "./body-kind.js";
import { WaiterKind, WaiterSet } from "./cancellation.js";
import { Failure, Future, Reaction } from "./futures.js";
import { GatheringFuture } from "./gather.js";
import { lazyOpAnchors } from "./lazy-ops.js";
import { Queue } from "./queues.js";
import { Task } from "./tasks.js";

let anchors: readonly object[] | null = null;

const FutureProto = Future.prototype;

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
  // What loops, futures and tasks change in their lives is changed here once, on the anchors: V8
  // treats a field as a constant until its first change, and a result that is a number as a field of
  // objects only until the first one, and each of those firsts deoptimized all the code that relied on
  // it — the first task to finish, the first loop to stop, the first await of a task, the first result
  // that is a number — in the middle of the first burst.
  loop.stop();
  loop.close();
  const waiters = new WaiterSet();
  waiters.add(future);
  for (const f of [task, future, gathering] as Future<unknown>[]) settleFields(f, waiters);
  future.setResult(0);
  gathering.setResult([]);
  FutureProto.setResult.call(task, 0);
  anchors = [
    task,
    future,
    gathering,
    waiters,
    new Reaction<unknown>(null, undefined, undefined),
    ...lazyOpAnchors(),
    ...Queue._anchors(),
  ];
}

async function anchorBody(): Promise<void> {}

function ignore(): void {}

/**
 * Change once each field a future's (a task's) life changes, with values of the kinds it will hold,
 * and put the field back (the task keeps the anchor waiter set, and its body kind stays "started", as
 * after any first step): the fields are then "mutable" and general for every object of the class.
 */
function settleFields(f: Future<unknown>, waiters: WaiterSet): void {
  f._failure = Failure.Unretrieved;
  f._failure = Failure.None;
  f._callbacks = ignore;
  f._callbacks = [ignore];
  f._callbacks = null;
  f._cancel = "anchor";
  f._cancel = undefined;
  f._waiterKind = WaiterKind.OwnBody;
  f._waiterKind = WaiterKind.Plain;
  if (f instanceof Task) {
    f._gen = STARTED;
    f._cancelRequests = 2;
    f._cancelRequests = 0;
    f._waiters = waiters;
  }
}
