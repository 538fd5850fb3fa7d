// Worker functions for cases/executor.mjs, loaded by the worker threads. Runs no program code on import.

/** Sum of an array of numbers (the small job). */
export function sum(arr) {
  let s = 0;
  for (let i = 0; i < arr.length; i++) s += arr[i];
  return s;
}

// piscina calls the default export.
export default sum;
