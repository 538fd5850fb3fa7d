/**
 * Cross-realm `instanceof` for error classes.
 *
 * Two copies of aiots in one process (a dependency bundling its own) must still agree that
 * `e instanceof CancelledError`. As undici does, each class is branded with a `Symbol.for` key on
 * its prototype and answers `instanceof` by looking for that key, so subclasses and copies match.
 * A subclass that is not branded itself (a user's `class MyError extends CancelledError`) inherits
 * the static method but keeps ordinary `instanceof`: it checks its own prototype chain.
 */
export function brand(cls: abstract new (...args: any[]) => object, key: string): void {
  const sym = Symbol.for(`aiots.${key}`);
  Object.defineProperty(cls.prototype, sym, { value: true });
  Object.defineProperty(cls, Symbol.hasInstance, {
    value(this: Function, value: unknown): boolean {
      if (this !== cls) return Function.prototype[Symbol.hasInstance].call(this, value);
      return (
        value !== null &&
        (typeof value === "object" || typeof value === "function") &&
        (value as Record<symbol, unknown>)[sym] === true
      );
    },
  });
}

/**
 * Make instances of `cls` answer `instanceof` for the branded class `key` too: how an error class
 * takes a second base, as Python's `class ServerTimeoutError(ServerConnectionError, TimeoutError)`.
 */
export function addBrand(cls: abstract new (...args: any[]) => object, key: string): void {
  Object.defineProperty(cls.prototype, Symbol.for(`aiots.${key}`), { value: true });
}
