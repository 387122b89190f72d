import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../src/memory/memory-object-store.js';
import { ManualClock } from '../../src/memory/manual-clock.js';
import { objectStoreContract } from './object-store.contract.js';

objectStoreContract('in memory', () => {
  const clock = new ManualClock(new Date('2030-01-01T00:00:00Z'));
  const store = new MemoryObjectStore(clock);
  return Promise.resolve({
    store,
    download: (url: string) => Promise.resolve(store.fetchSigned(url).unwrapOr(null)),
    upload: (url: string, bytes: Uint8Array) => Promise.resolve(store.putSigned(url, bytes).isOk()),
    // The signed length travels in the URL under the HMAC: the URL names it, and a URL naming
    // another length (and a body of that length) is refused as a bad signature.
    signedFor: (url: string, contentLength: number) => {
      if (new URL(url).searchParams.get('length') !== String(contentLength)) return Promise.resolve(false);
      const forged = url.replace(/length=\d+/, `length=${contentLength + 1}`);
      return Promise.resolve(store.putSigned(forged, new Uint8Array(contentLength + 1)).match(() => false, (refusal) => refusal === 'bad_signature'));
    },
    close: () => Promise.resolve(),
    now: () => clock.now(),
  });
}, { checksSignatures: true });

describe('MemoryObjectStore lastModified', () => {
  const start = new Date('2030-01-01T00:00:00Z');
  const modified = async (store: MemoryObjectStore, key: string) =>
    (await store.list(key))._unsafeUnwrap().find((object) => object.key === key)?.lastModified.toISOString();
  const stream = async function* (bytes: Uint8Array) {
    yield bytes;
    await Promise.resolve();
  };

  it('stamps each write with the clock, so a rewrite is newer', async () => {
    const clock = new ManualClock(start);
    const store = new MemoryObjectStore(clock);
    (await store.put('k', stream(new Uint8Array(3)), { maxBytes: 3 }))._unsafeUnwrap();
    clock.advance(60_000);
    expect(await modified(store, 'k')).toBe('2030-01-01T00:00:00.000Z');
    const url = (await store.signedPutUrl('k', 60, { contentLength: 2 }))._unsafeUnwrap();
    expect(store.putSigned(url, new Uint8Array(2)).isOk()).toBe(true);
    expect(await modified(store, 'k')).toBe('2030-01-01T00:01:00.000Z');
    clock.advance(60_000);
    store.setBytes('k', new Uint8Array(1));
    expect(await modified(store, 'k')).toBe('2030-01-01T00:02:00.000Z');
  });

  it('lets a test stage an old object, by setBytes or by backdating one already there', async () => {
    const store = new MemoryObjectStore(new ManualClock(start));
    store.setBytes('old', new Uint8Array(4), { lastModified: new Date('2029-06-01T00:00:00Z') });
    expect(await modified(store, 'old')).toBe('2029-06-01T00:00:00.000Z');

    store.setBytes('aged', new Uint8Array(5));
    expect(store.setLastModified('aged', new Date('2020-01-01T00:00:00Z'))).toBe(true);
    expect(await modified(store, 'aged')).toBe('2020-01-01T00:00:00.000Z');
    expect(store.getBytes('aged')).toEqual(new Uint8Array(5));
    expect(store.setLastModified('missing', new Date('2020-01-01T00:00:00Z'))).toBe(false);
    expect(store.keys()).toEqual(['aged', 'old']);
  });

  it('hands out copies: mutating a listed date changes nothing stored', async () => {
    const store = new MemoryObjectStore(new ManualClock(start));
    const staged = new Date('2029-06-01T00:00:00Z');
    store.setBytes('k', new Uint8Array(1), { lastModified: staged });
    staged.setUTCFullYear(2000);
    (await store.list('k'))._unsafeUnwrap()[0]!.lastModified.setUTCFullYear(2001);
    expect(await modified(store, 'k')).toBe('2029-06-01T00:00:00.000Z');
  });

  it('fails a listing when a fault is planned, as storage.unavailable (transient)', async () => {
    const store = new MemoryObjectStore(new ManualClock(start));
    store.faults.failNext('list');
    expect((await store.list(''))._unsafeUnwrapErr()).toMatchObject({ code: 'storage.unavailable', transient: true });
    expect((await store.list(''))._unsafeUnwrap()).toEqual([]);
  });
});
