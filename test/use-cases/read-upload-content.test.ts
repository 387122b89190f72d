import { okAsync } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { deleteUpload, readUploadContent, uploadKey, type UploadId } from '@selfie-lora/core';
import { collect } from '@selfie-lora/testkit/photos';
import { alice, bob, memoryCore, uploadPhoto } from '../support/memory-core-fixtures.js';
import { withRepositories } from '../support/rewritten-repositories.js';

// Showing an owner their stored photo: only their own, only while stored, only while its bytes
// exist; every other case is the same `upload.not_found`, so nobody learns that an id exists.

describe('readUploadContent', () => {
  it("answers the owner's stored photo with the stored bytes", async () => {
    const core = memoryCore();
    const upload = await uploadPhoto(core, alice, 1);
    const content = (await readUploadContent(core.deps, { ownerId: alice, uploadId: upload.id }))._unsafeUnwrap();
    expect(content.upload).toEqual(upload);
    expect(await collect(content.body)).toEqual(Buffer.from(core.store.getBytes(uploadKey(alice, upload.id))!));
  });

  it("answers upload.not_found, naming the id for the operator, for another owner's photo and an unknown id", async () => {
    const core = memoryCore();
    const upload = await uploadPhoto(core, alice, 1);
    for (const input of [{ ownerId: bob, uploadId: upload.id }, { ownerId: alice, uploadId: `${upload.id}x` as UploadId }]) {
      expect((await readUploadContent(core.deps, input))._unsafeUnwrapErr()).toMatchObject({ code: 'upload.not_found', detail: `upload ${input.uploadId}` });
    }
  });

  it('answers upload.not_found for a deleted photo whose bytes are still owed to the erasure', async () => {
    const core = memoryCore();
    const upload = await uploadPhoto(core, alice, 1);
    core.store.faults.failNext('delete');
    (await deleteUpload(core.deps, { ownerId: alice, uploadId: upload.id }))._unsafeUnwrap();
    expect(core.store.keys()).toEqual([uploadKey(alice, upload.id)]);
    expect((await readUploadContent(core.deps, { ownerId: alice, uploadId: upload.id }))._unsafeUnwrapErr().code).toBe('upload.not_found');
  });

  it('answers upload.not_found when the row is there but its bytes are gone', async () => {
    const core = memoryCore();
    const upload = await uploadPhoto(core, alice, 1);
    (await core.deps.objects.delete(uploadKey(alice, upload.id)))._unsafeUnwrap();
    expect((await readUploadContent(core.deps, { ownerId: alice, uploadId: upload.id }))._unsafeUnwrapErr()).toMatchObject({
      code: 'upload.not_found',
      detail: `upload ${upload.id}`,
    });
  });

  it("does not show another owner's photo even when a repository answers its row", async () => {
    const core = memoryCore();
    const bobs = await uploadPhoto(core, bob, 2);
    const leaky = withRepositories(core.deps.uow, (repos) => ({ ...repos, uploads: { ...repos.uploads, get: () => okAsync(bobs) } }));
    expect((await readUploadContent({ ...core.deps, uow: leaky }, { ownerId: alice, uploadId: bobs.id }))._unsafeUnwrapErr().code).toBe('upload.not_found');
  });
});
