import type { ResultAsync } from 'neverthrow';
import type { DomainError } from '../domain/errors.js';
import type { Sha256 } from '../domain/ids.js';

export type ByteStream = AsyncIterable<Uint8Array>;

export interface PutFacts {
  readonly key: string;
  readonly byteSize: number;
  /** Computed over the bytes as they streamed in. */
  readonly sha256: Sha256;
}

/** What is stored under a key now, measured by reading it, not by trusting metadata. */
export type ObjectFacts =
  | { readonly exists: false }
  | { readonly exists: true; readonly byteSize: number; readonly sha256: Sha256; readonly head: Uint8Array };

/** An object as a listing reports it (metadata only; `inspect` measures the bytes). */
export interface ListedObject {
  readonly key: string;
  readonly byteSize: number;
  readonly lastModified: Date;
}

export interface ListedPage {
  readonly objects: readonly ListedObject[];
  /** True when objects after the last one listed may follow: ask again from its key. */
  readonly more: boolean;
}

export type StoreError = DomainError<'storage.unavailable'>;

export interface ObjectStore {
  /** Refuses (and stores nothing) once more than `maxBytes` arrive. */
  put(key: string, body: ByteStream, options: { readonly maxBytes: number }): ResultAsync<PutFacts, StoreError | DomainError<'storage.too_large'>>;
  /** Streams the whole object to measure size and SHA-256; `head` is its first bytes, for sniffing. */
  inspect(key: string): ResultAsync<ObjectFacts, StoreError>;
  read(key: string): ResultAsync<ByteStream | null, StoreError>;
  /** Idempotent: deleting a missing key succeeds. */
  delete(key: string): ResultAsync<void, StoreError>;
  /** Every object whose key starts with `prefix`, in key order; a listing cut short is an error. */
  list(prefix: string): ResultAsync<readonly ListedObject[], StoreError>;
  /**
   * One page of `list`: up to `limit` (1 to 1000) objects under `prefix` whose keys sort after
   * `startAfter` (from the first when null), in key order, and whether more follow them. For a
   * walk over a whole bucket in bounded memory.
   */
  listPage(prefix: string, startAfter: string | null, limit: number): ResultAsync<ListedPage, StoreError>;
  /** A time-limited GET URL (never a public one), for the trainer to fetch a package. */
  signedGetUrl(key: string, ttlSeconds: number): ResultAsync<string, StoreError>;
  /**
   * A time-limited PUT URL for a client to upload straight into storage, signed for exactly
   * `contentLength` bytes (the size the client declared, already judged against the upload
   * policy): a store that checks signatures refuses a body of any other length, so nothing larger
   * can be staged. Whatever arrives is still measured server side before it counts. A length that
   * is not a byte count (negative, fractional, unsafe) is refused, `storage.unavailable`.
   */
  signedPutUrl(key: string, ttlSeconds: number, options: { readonly contentLength: number }): ResultAsync<string, StoreError>;
}
