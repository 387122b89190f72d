import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { err, errAsync, ok, okAsync, ResultAsync, type Result } from 'neverthrow';
import {
  domainError,
  transientError,
  trusted,
  type ByteStream,
  type Clock,
  type DomainError,
  type ListedObject,
  type ListedPage,
  type ObjectFacts,
  type ObjectStore,
  type PutFacts,
  type Sha256,
  type StoreError,
} from '@selfie-lora/core';
import { FaultPlan } from './fault-plan.js';

const HEAD_BYTES = 4096;
const CHUNK = 64 * 1024;

export type MemoryStoreOp = 'put' | 'inspect' | 'read' | 'delete' | 'list' | 'sign';

interface StoredObject {
  readonly bytes: Uint8Array;
  /** When the object was last written, by the store's clock (as S3 stamps it). */
  readonly lastModified: Date;
}

/** S3 lists keys in UTF-8 byte order; JS string order differs past the BMP, so compare bytes. */
function byKeyBytes<T extends { readonly key: string }>(items: readonly T[]): T[] {
  return items
    .map((item) => ({ item, bytes: Buffer.from(item.key, 'utf8') }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
    .map(({ item }) => item);
}

export function sha256Hex(bytes: Uint8Array): Sha256 {
  return trusted<Sha256>(createHash('sha256').update(bytes).digest('hex'));
}

/**
 * An object store in process memory, for fast tests and dry runs. Signed URLs are HMAC'd; every
 * write is stamped with the clock's time as its lastModified.
 */
export class MemoryObjectStore implements ObjectStore {
  readonly faults = new FaultPlan<MemoryStoreOp>();
  private readonly objects = new Map<string, StoredObject>();
  private readonly secret = randomBytes(32);

  constructor(private readonly clock: Clock) {}

  private unavailable(op: MemoryStoreOp): StoreError | null {
    return this.faults.take(op) ? transientError('storage.unavailable', `injected ${op} fault`) : null;
  }

  put(key: string, body: ByteStream, options: { readonly maxBytes: number }): ResultAsync<PutFacts, StoreError | DomainError<'storage.too_large'>> {
    const fault = this.unavailable('put');
    if (fault) return errAsync(fault);
    const collect = async (): Promise<Result<PutFacts, StoreError | DomainError<'storage.too_large'>>> => {
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of body) {
        size += chunk.byteLength;
        if (size > options.maxBytes) return err(domainError('storage.too_large', `over ${options.maxBytes} bytes`));
        chunks.push(chunk);
      }
      const bytes = Buffer.concat(chunks);
      this.write(key, bytes);
      return ok({ key, byteSize: bytes.byteLength, sha256: sha256Hex(bytes) });
    };
    // A body that breaks off mid-stream stores nothing.
    return new ResultAsync(
      collect().catch((cause: unknown) => err<PutFacts, StoreError>(transientError('storage.unavailable', String(cause)))),
    );
  }

  inspect(key: string): ResultAsync<ObjectFacts, StoreError> {
    const fault = this.unavailable('inspect');
    if (fault) return errAsync(fault);
    const bytes = this.objects.get(key)?.bytes;
    return okAsync(
      bytes
        ? { exists: true, byteSize: bytes.byteLength, sha256: sha256Hex(bytes), head: bytes.slice(0, HEAD_BYTES) }
        : { exists: false },
    );
  }

  read(key: string): ResultAsync<ByteStream | null, StoreError> {
    const fault = this.unavailable('read');
    if (fault) return errAsync(fault);
    const bytes = this.objects.get(key)?.bytes;
    if (!bytes) return okAsync(null);
    // eslint-disable-next-line @typescript-eslint/require-await -- an async iterable over bytes already in memory
    async function* chunks() {
      for (let offset = 0; offset < bytes!.byteLength; offset += CHUNK) yield bytes!.slice(offset, offset + CHUNK);
    }
    return okAsync(chunks());
  }

  delete(key: string): ResultAsync<void, StoreError> {
    const fault = this.unavailable('delete');
    if (fault) return errAsync(fault);
    this.objects.delete(key);
    return okAsync(undefined);
  }

  list(prefix: string): ResultAsync<readonly ListedObject[], StoreError> {
    const fault = this.unavailable('list');
    if (fault) return errAsync(fault);
    const listed: ListedObject[] = [];
    for (const [key, stored] of this.objects) {
      if (key.startsWith(prefix)) listed.push({ key, byteSize: stored.bytes.byteLength, lastModified: new Date(stored.lastModified) });
    }
    return okAsync(byKeyBytes(listed));
  }

  listPage(prefix: string, startAfter: string | null, limit: number): ResultAsync<ListedPage, StoreError> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return errAsync(domainError('storage.unavailable', `list page: invalid limit ${limit}`));
    const after = startAfter === null ? null : Buffer.from(startAfter, 'utf8');
    return this.list(prefix).map((listed) => {
      const rest = after === null ? listed : listed.filter((object) => Buffer.compare(Buffer.from(object.key, 'utf8'), after) > 0);
      return { objects: rest.slice(0, limit), more: rest.length > limit };
    });
  }

  signedGetUrl(key: string, ttlSeconds: number): ResultAsync<string, StoreError> {
    const fault = this.unavailable('sign');
    if (fault) return errAsync(fault);
    const expires = Math.floor(this.clock.now().getTime() / 1000) + ttlSeconds;
    const signature = this.sign(`GET\n${key}\n${expires}`);
    return okAsync(`memory://objects/${encodeURIComponent(key)}?expires=${expires}&signature=${signature}`);
  }

  /**
   * A URL only `putSigned` accepts (never `fetchSigned`): method, key, expiry and the exact
   * content length are signed, as S3 signs the Content-Length header.
   */
  signedPutUrl(key: string, ttlSeconds: number, options: { readonly contentLength: number }): ResultAsync<string, StoreError> {
    const { contentLength } = options;
    if (!Number.isSafeInteger(contentLength) || contentLength < 0) {
      return errAsync(domainError('storage.unavailable', `invalid content length ${contentLength}`));
    }
    const fault = this.unavailable('sign');
    if (fault) return errAsync(fault);
    const expires = Math.floor(this.clock.now().getTime() / 1000) + ttlSeconds;
    const signature = this.sign(`PUT\n${key}\n${expires}\n${contentLength}`);
    return okAsync(`memory://objects/${encodeURIComponent(key)}?method=PUT&expires=${expires}&length=${contentLength}&signature=${signature}`);
  }

  /**
   * What a client PUTting through a signed URL gets: stored, or why not (then nothing is stored).
   * A body of any length but the signed one is refused, as S3 refuses it (there: a signature mismatch).
   */
  putSigned(url: string, bytes: Uint8Array): Result<void, 'malformed' | 'bad_signature' | 'expired' | 'wrong_length'> {
    const match = /^memory:\/\/objects\/([^?]+)\?method=PUT&expires=(\d+)&length=(\d+)&signature=([0-9a-f]{64})$/.exec(url);
    if (!match) return err('malformed');
    const [, encodedKey = '', expiresText = '', lengthText = '', signature = ''] = match;
    const key = decodeURIComponent(encodedKey);
    if (!this.verify(`PUT\n${key}\n${expiresText}\n${lengthText}`, signature)) return err('bad_signature');
    if (this.clock.now().getTime() / 1000 > Number(expiresText)) return err('expired');
    if (bytes.byteLength !== Number(lengthText)) return err('wrong_length');
    this.write(key, Uint8Array.from(bytes));
    return ok(undefined);
  }

  /** What a downloader (the in-memory trainer) gets for a signed URL: bytes, or why not. */
  fetchSigned(url: string): Result<Uint8Array, 'malformed' | 'bad_signature' | 'expired' | 'missing'> {
    const match = /^memory:\/\/objects\/([^?]+)\?expires=(\d+)&signature=([0-9a-f]{64})$/.exec(url);
    if (!match) return err('malformed');
    const [, encodedKey = '', expiresText = '', signature = ''] = match;
    const key = decodeURIComponent(encodedKey);
    if (!this.verify(`GET\n${key}\n${expiresText}`, signature)) return err('bad_signature');
    if (this.clock.now().getTime() / 1000 > Number(expiresText)) return err('expired');
    const bytes = this.objects.get(key)?.bytes;
    return bytes ? ok(bytes) : err('missing');
  }

  private write(key: string, bytes: Uint8Array, lastModified: Date = this.clock.now()): void {
    this.objects.set(key, { bytes, lastModified: new Date(lastModified) });
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('hex');
  }

  private verify(payload: string, signature: string): boolean {
    return timingSafeEqual(Buffer.from(this.sign(payload), 'hex'), Buffer.from(signature, 'hex'));
  }

  // Out-of-band access for tests and the in-memory packager.
  getBytes(key: string): Uint8Array | undefined {
    return this.objects.get(key)?.bytes;
  }

  /** Writes bytes as if put now (by the clock), or at `lastModified` to stage an old object. */
  setBytes(key: string, bytes: Uint8Array, options: { readonly lastModified?: Date } = {}): void {
    this.write(key, bytes, options.lastModified);
  }

  /** Backdates (or postdates) an object without changing its bytes; false when the key holds none. */
  setLastModified(key: string, lastModified: Date): boolean {
    const stored = this.objects.get(key);
    if (!stored) return false;
    this.write(key, stored.bytes, lastModified);
    return true;
  }

  keys(): string[] {
    return [...this.objects.keys()].sort();
  }
}
