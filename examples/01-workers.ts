/**
 * The two plain functions of example 01 (`01-threads-processes.ts`), in a module of their own:
 * every worker thread and worker process imports this module to call them, so it must not run
 * program code when imported (a process pool would fork itself over and over).
 */

/** Sleep synchronously: these are plain CPU-style functions, they cannot `await`. */
function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Prints `a.x 0`, `a.x 1`, `a.x 2`, sleeping 1 ms after each. */
export function a(): void {
  for (let x = 0; x < 3; x++) {
    console.log(`a.x ${x}`);
    sleepMs(1);
  }
}

/** Prints `b.x a`, `b.x b`, `b.x c`, sleeping 1 ms after each. */
export function b(): void {
  for (const x of "abc") {
    console.log(`b.x ${x}`);
    sleepMs(1);
  }
}
