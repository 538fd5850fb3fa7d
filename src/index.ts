/**
 * aiots — Python's asyncio, done right in TypeScript on Node.js.
 *
 * ```ts
 * import * as asyncio from "aiots";
 * await asyncio.run(async () => {
 *   await asyncio.sleep(1);
 * });
 * ```
 * @packageDocumentation
 */

export { Barrier } from "./asyncio/barrier.js";
export { EventLoop, type ExceptionContext, type ExceptionHandler } from "./asyncio/base-events.js";
export type {
  ConnectionOptions,
  ServerOptions,
  SSLOption,
  StartTlsOptions,
  UnixConnectionOptions,
  UnixServerOptions,
} from "./asyncio/connections.js";
export {
  Coroutine,
  type CoroutineGenerator,
  coroutine,
  iscoroutine,
  iscoroutinefunction,
} from "./asyncio/coroutines.js";
export {
  ArgumentTypeError,
  BrokenBarrierError,
  BrokenPipeError,
  CancelledError,
  ConnectionAbortedError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  ExceptionGroup,
  FileNotFoundError,
  GaiError,
  IncompleteReadError,
  InvalidStateError,
  isCancelledError,
  KeyboardInterrupt,
  LimitOverrunError,
  OSError,
  PermissionError,
  ProcessLookupError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  RuntimeError,
  TimeoutError,
  ValueError,
} from "./asyncio/exceptions.js";
export {
  BrokenProcessPool,
  type Executor,
  ProcessPoolExecutor,
  type ShutdownOptions,
  ThreadPoolExecutor,
  toThread,
  type WorkerFunction,
  workerFunction,
} from "./asyncio/executors.js";
export { type Awaitable, type DoneCallback, Future, isFuture } from "./asyncio/futures.js";
export { GatheringFuture, type GatherOptions, gather } from "./asyncio/gather.js";
export { Handle, TimerHandle } from "./asyncio/handles.js";
export type { Held } from "./asyncio/held.js";
export { BoundedSemaphore, Condition, Event, Lock, Semaphore } from "./asyncio/locks.js";
export { type LogLevel, logger } from "./asyncio/log.js";
export {
  COOP_BUDGET,
  getEventLoop,
  getRunningLoop,
  newEventLoop,
  setEventLoop,
} from "./asyncio/loop-registry.js";
export { BaseProtocol, Protocol } from "./asyncio/protocols.js";
export {
  LifoQueue,
  PriorityQueue,
  type PriorityQueueOptions,
  pythonCompare,
  Queue,
  type QueueOptions,
} from "./asyncio/queues.js";
export { type RunOptions, run } from "./asyncio/runners.js";
export { Server, ServerSocket } from "./asyncio/server.js";
export { shield } from "./asyncio/shield.js";
export type { SignalLike } from "./asyncio/signals.js";
export { sleep } from "./asyncio/sleep.js";
export { SocketTransport } from "./asyncio/socket-transport.js";
export { type ClientConnectedCallback, StreamReaderProtocol } from "./asyncio/stream-protocol.js";
export { DEFAULT_LIMIT, StreamReader, type StreamReaderOptions } from "./asyncio/stream-reader.js";
export { StreamWriter } from "./asyncio/stream-writer.js";
export {
  type OpenConnectionOptions,
  openConnection,
  openUnixConnection,
  type StartServerOptions,
  startServer,
  startUnixServer,
} from "./asyncio/streams.js";
export {
  createSubprocessExec,
  createSubprocessShell,
  DEVNULL,
  PIPE,
  Process,
  STDOUT,
  type StdioOption,
  type SubprocessOptions,
} from "./asyncio/subprocess.js";
export { TaskGroup, taskGroup } from "./asyncio/taskgroups.js";
export {
  type AwaitableLike,
  allTasks,
  createTask,
  currentTask,
  ensureFuture,
  Task,
  type TaskBody,
  type TaskOptions,
} from "./asyncio/tasks.js";
export { Timeout, timeout, timeoutAt } from "./asyncio/timeouts.js";
export { BaseTransport, ReadTransport, Transport, WriteTransport } from "./asyncio/transports.js";
export { VirtualTimeLoop } from "./asyncio/virtual-time.js";
export {
  ALL_COMPLETED,
  AsCompletedIterator,
  asCompleted,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  type ReturnWhen,
  type WaitOptions,
  wait,
  waitFor,
} from "./asyncio/wait.js";
