import { ResultAsync } from 'neverthrow';
import type { MemoryCore } from '@selfie-lora/adapters/memory';
import type { ByteStream, ObjectStore, StoreError } from '@selfie-lora/core';
import { portLike } from './port-like.js';

type Read = (key: string) => ResultAsync<ByteStream | null, StoreError>;

/** `core.store` with its `read` replaced (every other call goes to the store itself). */
function withRead(core: MemoryCore, read: Read): ObjectStore {
  return portLike<ObjectStore>(core.store, { read });
}

/**
 * `core.store`, except that the owner's PUT through `url` lands just after a read finds nothing
 * under its key: how a test stages a `complete` sent while the upload is still in flight.
 */
export function putLandsAfterRead(core: MemoryCore, url: string, bytes: Uint8Array): ObjectStore {
  let landed = false;
  return withRead(core, (key) =>
    core.store.read(key).map((body) => {
      if (body === null && !landed) {
        landed = true;
        core.store.putSigned(url, bytes)._unsafeUnwrap();
      }
      return body;
    }),
  );
}

/** `core.store`, except that `race` runs to its end just before the first read: another request overtaking this one. */
export function overtakenBeforeRead(core: MemoryCore, race: () => PromiseLike<unknown>): ObjectStore {
  let raced = false;
  return withRead(core, (key) => {
    if (raced) return core.store.read(key);
    raced = true;
    return new ResultAsync(Promise.resolve(race()).then(() => core.store.read(key)));
  });
}
