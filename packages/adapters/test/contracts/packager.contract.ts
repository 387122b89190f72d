import { zipSync, type Zippable } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkWrittenPackage,
  entryName,
  OwnerId,
  packageKey,
  PipelineId,
  uploadKey,
  UploadId,
  verifyPackage,
  type NonEmpty,
  type ObjectStore,
  type PackageFacts,
  type Packager,
  type PackageSource,
  type Sha256,
  type TrainingSet,
  type TrainingSetItem,
} from '@selfie-lora/core';
import { restoreTrainingSet } from '@selfie-lora/core/persistence';
import { collect, photo, sha256Of, streamOf, texturedPhoto } from '@selfie-lora/testkit/photos';

export interface PackagerSubject {
  /** The store the packager reads photos from and writes packages to. */
  readonly store: ObjectStore;
  readonly packager: Packager;
  close(): Promise<void>;
}

const MiB = 1024 * 1024;
const owner = OwnerId.parse('packager-owner')._unsafeUnwrap();

/** Bytes that hold every ZIP signature: a scanner that trusts signatures would cut this entry. */
function signatureTrap(): Uint8Array {
  const parts = [
    Buffer.from('before '),
    Buffer.from([0x50, 0x4b, 0x07, 0x08]), // data descriptor
    Buffer.from([0, 0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 0]),
    Buffer.from([0x50, 0x4b, 0x03, 0x04]), // local file header
    Buffer.alloc(26, 1),
    Buffer.from([0x50, 0x4b, 0x01, 0x02]), // central directory header
    Buffer.from([0x50, 0x4b, 0x05, 0x06]), // end of central directory
    Buffer.alloc(18, 0),
    Buffer.from(' after'),
  ];
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * What every Packager must do: write exactly the sources, and read back what is really stored,
 * so the core's I3 checks (verifyPackage, checkWrittenPackage) refuse anything else.
 */
export function packagerContract(name: string, start: () => Promise<PackagerSubject>): void {
  describe(`Packager contract: ${name}`, { timeout: 30_000 }, () => {
    let subject: PackagerSubject;
    let store: ObjectStore;
    let packager: Packager;
    let counter = 0;
    const photos = new Map<string, Uint8Array>();

    beforeAll(async () => {
      subject = await start();
      ({ store, packager } = subject);
    });
    afterAll(async () => {
      await subject?.close();
    });

    /** Stores `count` real photos and returns the training set and packaging inputs for them. */
    async function aSet(count: number): Promise<{ set: TrainingSet; pipelineId: PipelineId; key: string; sources: PackageSource[] }> {
      const run = (counter += 1);
      const items: TrainingSetItem[] = [];
      for (let i = 0; i < count; i += 1) {
        const bytes = i % 2 === 0 ? await texturedPhoto(run * 100 + i, { width: 160, height: 120 }) : await photo(run * 100 + i);
        const uploadId = UploadId.parse(`u${run}-${i}`)._unsafeUnwrap();
        const put = (await store.put(uploadKey(owner, uploadId), streamOf(bytes), { maxBytes: 20 * MiB }))._unsafeUnwrap();
        photos.set(uploadId, bytes);
        items.push({ uploadId, sha256: put.sha256, byteSize: put.byteSize, contentType: 'image/jpeg' });
      }
      const set = restoreTrainingSet(owner, items as unknown as NonEmpty<TrainingSetItem>);
      const pipelineId = PipelineId.parse(`p${run}`)._unsafeUnwrap();
      const sources = items.map((item) => ({ name: entryName(item), key: uploadKey(owner, item.uploadId) }));
      return { set, pipelineId, key: packageKey(owner, pipelineId), sources };
    }

    /** Writes a ZIP made elsewhere (fflate, stored) straight to `key`, as a tamperer would. */
    async function writeZipOutOfBand(key: string, files: Record<string, Uint8Array>): Promise<void> {
      const zippable: Zippable = {};
      for (const [entry, bytes] of Object.entries(files)) zippable[entry] = [bytes, { level: 0 }];
      (await store.put(key, streamOf(zipSync(zippable)), { maxBytes: 100 * MiB }))._unsafeUnwrap();
    }

    function photoFiles(set: TrainingSet): Record<string, Uint8Array> {
      return Object.fromEntries(set.items.map((item) => [entryName(item), photos.get(item.uploadId)!]));
    }

    function outcome(set: TrainingSet, pipelineId: PipelineId, written: PackageFacts, readBack: PackageFacts): string {
      return verifyPackage(set, pipelineId, written, readBack).match(
        () => 'verified',
        (error) => error.code,
      );
    }

    it('packs exactly the sources, and reads back the same archive, entry for entry', async () => {
      const { set, pipelineId, key, sources } = await aSet(4);
      const written = (await packager.build(key, sources))._unsafeUnwrap();
      expect(written.key).toBe(key);
      expect(written.entries).toEqual(
        set.items.map((item) => ({ name: entryName(item), sha256: item.sha256, byteSize: item.byteSize })),
      );
      const stored = (await store.inspect(key))._unsafeUnwrap();
      expect(stored.exists && [stored.byteSize, stored.sha256]).toEqual([written.byteSize, written.sha256]);

      const readBack = (await packager.readBack(key))._unsafeUnwrap();
      expect(readBack).toEqual(written);
      expect(outcome(set, pipelineId, written, readBack)).toBe('verified');
    });

    it('writes a ZIP other tools can open, holding the photos byte for byte', async () => {
      const { set, key, sources } = await aSet(2);
      (await packager.build(key, sources))._unsafeUnwrap();
      const { unzipSync } = await import('fflate');
      const zip = await collect((await store.read(key))._unsafeUnwrap()!);
      const files = unzipSync(zip);
      expect(Object.keys(files).sort()).toEqual(set.items.map(entryName).sort());
      for (const item of set.items) expect(sha256Of(files[entryName(item)]!)).toBe(item.sha256);
    });

    it('hashes an entry that contains ZIP signatures (PK\\x07\\x08 ...) in full', async () => {
      const trap = signatureTrap();
      const key = `contract/trap-${(counter += 1)}`;
      (await store.put(`${key}.src`, streamOf(trap, 5), { maxBytes: MiB }))._unsafeUnwrap();
      const { pipelineId: _unused, sources } = await aSet(1);
      const all = [{ name: 'trap.bin', key: `${key}.src` }, ...sources];
      const written = (await packager.build(key, all))._unsafeUnwrap();
      expect(written.entries[0]).toEqual({ name: 'trap.bin', sha256: sha256Of(trap) as Sha256, byteSize: trap.byteLength });
      const readBack = (await packager.readBack(key))._unsafeUnwrap();
      expect(readBack.entries).toEqual(written.entries);
    });

    it('packs an empty source list into an empty, readable ZIP', async () => {
      const key = `contract/empty-${(counter += 1)}.zip`;
      const written = (await packager.build(key, []))._unsafeUnwrap();
      expect(written.entries).toEqual([]);
      expect((await packager.readBack(key))._unsafeUnwrap()).toEqual(written);
    });

    it('refuses a missing source as verify.object_missing and leaves no package behind', async () => {
      const { key, sources } = await aSet(2);
      const withGap = [sources[0]!, { name: 'ghost.jpg', key: uploadKey(owner, UploadId.parse('ghost')._unsafeUnwrap()) }, sources[1]!];
      expect((await packager.build(key, withGap))._unsafeUnwrapErr().code).toBe('verify.object_missing');
      expect((await store.inspect(key))._unsafeUnwrap()).toEqual({ exists: false });
    });

    it('reports a missing package as package.missing', async () => {
      expect((await packager.readBack(`contract/none-${(counter += 1)}.zip`))._unsafeUnwrapErr().code).toBe('package.missing');
    });

    it('reports a non-ZIP, an empty object and a truncated ZIP as package.unreadable', async () => {
      const { key, sources } = await aSet(2);
      (await packager.build(key, sources))._unsafeUnwrap();
      const zip = await collect((await store.read(key))._unsafeUnwrap()!);

      const notZip = `contract/not-zip-${(counter += 1)}`;
      (await store.put(notZip, streamOf(await photo(5)), { maxBytes: MiB }))._unsafeUnwrap();
      expect((await packager.readBack(notZip))._unsafeUnwrapErr().code).toBe('package.unreadable');

      const empty = `contract/empty-object-${(counter += 1)}`;
      (await store.put(empty, streamOf(new Uint8Array(0)), { maxBytes: MiB }))._unsafeUnwrap();
      expect((await packager.readBack(empty))._unsafeUnwrapErr().code).toBe('package.unreadable');

      const truncated = `contract/truncated-${(counter += 1)}`;
      (await store.put(truncated, streamOf(zip.subarray(0, zip.byteLength - 30)), { maxBytes: 100 * MiB }))._unsafeUnwrap();
      expect((await packager.readBack(truncated))._unsafeUnwrapErr().code).toBe('package.unreadable');
    });

    it('reads back a ZIP that lost an entry as it is, so I3 refuses it', async () => {
      const { set, pipelineId, key, sources } = await aSet(3);
      const written = (await packager.build(key, sources))._unsafeUnwrap();
      const files = photoFiles(set);
      delete files[entryName(set.items[1]!)];
      await writeZipOutOfBand(key, files);

      const readBack = (await packager.readBack(key))._unsafeUnwrap();
      expect(readBack.entries.map((entry) => entry.name).sort()).toEqual(Object.keys(files).sort());
      expect(outcome(set, pipelineId, written, readBack)).toBe('package.hash_mismatch');
      expect(checkWrittenPackage(set, pipelineId, readBack)._unsafeUnwrapErr().code).toBe('package.entry_count_mismatch');
    });

    it('reads back a ZIP that gained an entry as it is, so I3 refuses it', async () => {
      const { set, pipelineId, key, sources } = await aSet(3);
      const written = (await packager.build(key, sources))._unsafeUnwrap();
      const stranger = await texturedPhoto(999, { width: 90, height: 90 });
      await writeZipOutOfBand(key, { ...photoFiles(set), 'stranger.jpg': stranger });

      const readBack = (await packager.readBack(key))._unsafeUnwrap();
      expect(readBack.entries).toContainEqual({ name: 'stranger.jpg', sha256: sha256Of(stranger), byteSize: stranger.byteLength });
      expect(readBack.entries).toHaveLength(4);
      expect(outcome(set, pipelineId, written, readBack)).toBe('package.hash_mismatch');
      expect(checkWrittenPackage(set, pipelineId, readBack)._unsafeUnwrapErr().code).toBe('package.entry_count_mismatch');
    });

    it("reads back a ZIP whose photo was swapped for a stranger's under the same name, so I3 refuses it", async () => {
      const { set, pipelineId, key, sources } = await aSet(3);
      const written = (await packager.build(key, sources))._unsafeUnwrap();
      const stranger = await texturedPhoto(998, { width: 90, height: 90 });
      await writeZipOutOfBand(key, { ...photoFiles(set), [entryName(set.items[0])]: stranger });

      const readBack = (await packager.readBack(key))._unsafeUnwrap();
      expect(readBack.entries).toContainEqual({ name: entryName(set.items[0]), sha256: sha256Of(stranger), byteSize: stranger.byteLength });
      expect(outcome(set, pipelineId, written, readBack)).toBe('package.hash_mismatch');
      expect(checkWrittenPackage(set, pipelineId, readBack)._unsafeUnwrapErr().code).toBe('package.entry_mismatch');
    });

    it('never verifies a package whose bytes were altered in place', async () => {
      const { set, pipelineId, key, sources } = await aSet(2);
      const written = (await packager.build(key, sources))._unsafeUnwrap();
      const zip = Buffer.from(await collect((await store.read(key))._unsafeUnwrap()!));
      zip[200] = zip[200]! ^ 0xff; // inside the first photo's data
      (await store.put(key, streamOf(zip), { maxBytes: 100 * MiB }))._unsafeUnwrap();

      const verdict = (await packager.readBack(key)).match(
        (readBack) => outcome(set, pipelineId, written, readBack),
        (error) => error.code,
      );
      expect(verdict).not.toBe('verified');
      expect(['package.unreadable', 'package.hash_mismatch']).toContain(verdict);
    });
  });
}
