import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { okAsync, ResultAsync } from 'neverthrow';
import { createMemoryCore, FakeFaceInspector, oneFace } from '@selfie-lora/adapters/memory';
import { acceptUpload, checkDueUploads, listOwnerPhotos, type CoreDeps, type Repositories, type UnitOfWork } from '@selfie-lora/core';
import { createPropertySchema, type PropertySchema } from '../property/support/postgres-schema.js';
import { photo, streamOf } from '@selfie-lora/testkit/photos';
import { alice } from '../support/memory-core-fixtures.js';
import { withRepositories } from '../support/rewritten-repositories.js';

// GET /v1/uploads answers the owner's stored photos and those still checking from two reads in
// one READ COMMITTED transaction, so each read may see what the worker commits meanwhile. Here
// the worker stores a photo (its pending row removed and its upload inserted, one commit) right
// between the two reads, over a real Postgres. Read in the order `listOwnerPhotos` uses (pending
// rows, then uploads) the photo is in exactly one list; read the other way round it would be in
// neither, and the page would say the photo was gone.

let schema: PropertySchema;

beforeAll(async () => {
  schema = await createPropertySchema('photo_list_read_order');
}, 30_000);

afterAll(async () => {
  await schema?.drop();
}, 30_000);

/** Alice's photo received over Postgres and still checking: storing it is the worker's next job. */
async function photoStillChecking(): Promise<{ deps: CoreDeps; id: string }> {
  await schema.reset();
  const faces = new FakeFaceInspector((p) => oneFace(p, 0));
  const core = createMemoryCore({ config: { minPhotos: 1, checkPhotosAfterAnswer: true }, faces });
  const deps: CoreDeps = { ...core.deps, uow: schema.db };
  const accepted = (await acceptUpload(deps, { ownerId: alice, body: streamOf(await photo(1)) }))._unsafeUnwrap();
  if (accepted.kind !== 'pending') throw new Error('the photo was judged before the answer');
  return { deps, id: accepted.pending.id };
}

type Read = 'pendingUploads' | 'uploads';

/** `uow` unchanged but for one thing: right after the first `listByOwner` of `first`, `commit` runs in a transaction of its own and commits. */
function committingAfter(uow: UnitOfWork, first: Read, commit: () => Promise<void>): { uow: UnitOfWork; fired: () => boolean } {
  let fired = false;
  const after = <T>(rows: T) => {
    if (fired) return okAsync(rows);
    fired = true;
    return ResultAsync.fromSafePromise(commit()).map(() => rows);
  };
  const rewrite = (repos: Repositories): Repositories =>
    first === 'pendingUploads'
      ? { ...repos, pendingUploads: { ...repos.pendingUploads, listByOwner: (id) => repos.pendingUploads.listByOwner(id).andThen(after) } }
      : { ...repos, uploads: { ...repos.uploads, listByOwner: (id, options) => repos.uploads.listByOwner(id, options).andThen(after) } };
  return { fired: () => fired, uow: withRepositories(uow, rewrite) };
}

describe('the photo list against a worker storing a photo between its reads (Postgres)', () => {
  it('lists the photo once, stored, though its pending row was read before the commit', async () => {
    const { deps, id } = await photoStillChecking();
    const worker = async () => {
      expect((await checkDueUploads(deps, { limit: 8, atOnce: 1 }))._unsafeUnwrap()).toMatchObject({ stored: 1 });
    };
    const interleaved = committingAfter(schema.db, 'pendingUploads', worker);

    const listed = (await listOwnerPhotos({ ...deps, uow: interleaved.uow }, alice))._unsafeUnwrap();

    expect(interleaved.fired()).toBe(true);
    const seen = [...listed.pending.map((p) => p.id), ...listed.uploads.map((u) => u.id)];
    expect(seen).toEqual([id]);
    expect(listed.uploads.map((u) => u.id)).toEqual([id]);
  }, 30_000);

  it('read the other way round, the same commit would hide the photo from both lists (why the order matters)', async () => {
    const { deps, id } = await photoStillChecking();
    const worker = async () => {
      expect((await checkDueUploads(deps, { limit: 8, atOnce: 1 }))._unsafeUnwrap()).toMatchObject({ stored: 1 });
    };
    const interleaved = committingAfter(schema.db, 'uploads', worker);
    const reversed = (
      await interleaved.uow.transaction((repos) =>
        repos.uploads.listByOwner(alice).andThen((uploads) => repos.pendingUploads.listByOwner(alice).map((pending) => ({ uploads, pending }))),
      )
    )._unsafeUnwrap();
    expect(interleaved.fired()).toBe(true);
    expect([...reversed.pending, ...reversed.uploads].map((p) => p.id)).not.toContain(id);
  }, 30_000);
});
