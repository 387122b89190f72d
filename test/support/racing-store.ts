import type { MemoryCore } from '@selfie-lora/adapters/memory';
import type { ObjectStore } from '@selfie-lora/core';

/**
 * `core.store`, except that the owner's PUT through `url` lands just after a read finds nothing
 * under its key: how a test stages a `complete` sent while the upload is still in flight.
 */
export function putLandsAfterRead(core: MemoryCore, url: string, bytes: Uint8Array): ObjectStore {
  let landed = false;
  const store = core.store;
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'read') {
        return (key: string) =>
          store.read(key).map((body) => {
            if (body === null && !landed) {
              landed = true;
              store.putSigned(url, bytes)._unsafeUnwrap();
            }
            return body;
          });
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
