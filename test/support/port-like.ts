/**
 * A port that answers as `base` except for the calls `overrides` replace (`trainerLike` for any
 * port): a test makes one call fail or answer otherwise without restating the port.
 */
export function portLike<T extends object>(base: T, overrides: Partial<T>): T {
  return new Proxy(base, {
    get(target, property, receiver) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof T];
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
