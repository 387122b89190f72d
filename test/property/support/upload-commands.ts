import { expect } from 'vitest';
import { deleteUpload, isActive, registerUpload, uploadKey, type FailedOrCanceledPipeline } from '@selfie-lora/core';
import { streamOf } from '@selfie-lora/testkit/photos';
import { WorldCommand } from './world-command.js';
import { describeIndex, expectErr, expectOk, ownerIdOf, pick, type Model, type World } from './world.js';

/** An owner uploads a real photo of the pool: new, or bytes they (or someone else) already stored. */
export class UploadPhoto extends WorldCommand {
  constructor(
    readonly owner: string,
    readonly photo: number,
  ) {
    super();
  }

  protected async act(model: Model, world: World): Promise<void> {
    const ownerId = ownerIdOf(this.owner);
    const photo = world.pool.photos[this.photo]!;
    const existing = world.core.db
      .snapshot()
      .uploads.find((u) => u.ownerId === ownerId && u.sourceSha256 === photo.sha256 && u.status === 'stored');
    const registered = expectOk(await registerUpload(world.core.deps, { ownerId, body: streamOf(photo.bytes) }), String(this));
    expect(registered.upload.ownerId).toBe(ownerId);
    expect(registered.upload.sourceSha256).toBe(photo.sha256);
    // Dedup is per owner: the same bytes from another owner make a new upload of that owner.
    expect(registered.duplicate).toBe(existing !== undefined);
    if (existing) expect(registered.upload.id).toBe(existing.id);
    if (!model.uploads[this.owner]!.includes(registered.upload.id)) model.uploads[this.owner]!.push(registered.upload.id);
  }

  toString(): string {
    return `${this.owner}.upload(photo${this.photo})`;
  }
}

/** An owner uploads a file that is no acceptable photo: refused with its code, nothing kept. */
export class UploadBadFile extends WorldCommand {
  constructor(
    readonly owner: string,
    readonly file: number,
  ) {
    super();
  }

  protected async act(_model: Model, world: World): Promise<void> {
    const bad = world.pool.bad[this.file]!;
    const before = { rows: world.core.db.snapshot(), keys: world.core.store.keys() };
    const error = expectErr(await registerUpload(world.core.deps, { ownerId: ownerIdOf(this.owner), body: streamOf(bad.bytes) }), String(this));
    expect(error.code).toBe(bad.code);
    expect(world.core.db.snapshot()).toEqual(before.rows);
    expect(world.core.store.keys()).toEqual(before.keys);
    world.coverage.refusedUploads += 1;
  }

  toString(): string {
    return `${this.owner}.upload(bad file #${this.file})`;
  }
}

/** `actor` deletes the k-th upload `target` was given: their own, or an attempt on another owner's id. */
export class DeleteUpload extends WorldCommand {
  constructor(
    readonly actor: string,
    readonly target: string,
    readonly index: number,
  ) {
    super();
  }

  override check(model: Readonly<Model>): boolean {
    return model.uploads[this.target]!.length > 0;
  }

  protected async act(model: Model, world: World): Promise<void> {
    const uploadId = pick(model.uploads[this.target]!, this.index)!;
    const actorId = ownerIdOf(this.actor);
    const before = { rows: world.core.db.snapshot(), keys: world.core.store.keys() };
    const result = await deleteUpload(world.core.deps, { ownerId: actorId, uploadId });
    if (this.actor !== this.target) {
      // Another owner's id is simply not found, and nothing changes.
      expect(expectErr(result, String(this)).code).toBe('upload.not_found');
      expect(world.core.db.snapshot()).toEqual(before.rows);
      expect(world.core.store.keys()).toEqual(before.keys);
      world.coverage.foreignAttempts += 1;
      return;
    }
    const using = before.rows.pipelines.find(
      (p) => p.ownerId === actorId && isActive(p) && p.trainingSet.items.some((i) => i.uploadId === uploadId),
    );
    const deleted = expectOk(result, String(this));
    const after = world.core.db.snapshot();
    expect(after.uploads.find((u) => u.id === uploadId)?.status).toBe('deleted');
    expect(world.core.store.keys()).not.toContain(uploadKey(actorId, uploadId));
    // Privacy wins: an active pipeline using the photo is canceled, saying why.
    expect(deleted.canceled?.id).toBe(using?.id);
    if (using) {
      const ended = after.pipelines.find((p) => p.id === using.id) as FailedOrCanceledPipeline;
      expect(ended.status).toBe('canceled');
      expect(ended.failure.code).toBe('training.canceled_upload_deleted');
    }
  }

  toString(): string {
    const whose = this.actor === this.target ? 'own' : `${this.target}'s`;
    return `${this.actor}.delete(${whose} upload ${describeIndex(this.index)})`;
  }
}
