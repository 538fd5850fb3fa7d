/**
 * Cross-realm `instanceof` for error classes.
 *
 * Two copies of aiots in one process (a dependency bundling its own) must still agree that
 * `e instanceof CancelledError`. As undici does, each class is branded with a `Symbol.for` key on
 * its prototype and answers `instanceof` by looking for that key, so subclasses and copies match.
 */
export function brand(cls: abstract new (...args: any[]) => object, key: string): void {
  const sym = Symbol.for(`aiots.${key}`);
  Object.defineProperty(cls.prototype, sym, { value: true });
  Object.defineProperty(cls, Symbol.hasInstance, {
    value: (value: unknown): boolean =>
      value !== null &&
      (typeof value === "object" || typeof value === "function") &&
      (value as any)[sym] === true,
  });
}
