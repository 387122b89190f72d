import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { trusted, type OwnerId, type PipelineId } from '../src/domain/ids.js';
import { ownerRef } from '../src/domain/owner-ref.js';
import {
  checkWrittenPackage,
  packageKey,
  verifyPackage,
  type PackageEntry,
  type PackageFacts,
} from '../src/domain/training-package.js';
import { bob, ownerId, pipelineId, shaOf } from './support/ids.js';
import { faithfulPackage } from './support/package-facts.js';
import { trainingSetOf } from './support/training-set-builder.js';

// Arbitraries for ids as the system accepts them (see ids.ts ID_PATTERN).
const idArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@|-]{0,40}$/);

const owner = ownerId('user-8c1f2a90-5d4e-4b8a-9a57-2f1e3c4d5b6a');
const pid = pipelineId('pipeline-42');
const { set } = trainingSetOf(owner, 3);
const written = faithfulPackage(set, pid);

function withEntries(facts: PackageFacts, entries: readonly PackageEntry[]): PackageFacts {
  return { ...facts, entries };
}

const caption = (entry: PackageEntry): PackageEntry => ({
  name: entry.name.replace(/\.[a-z]+$/, '.txt'),
  sha256: shaOf(`caption ${entry.name}`),
  byteSize: 12,
});

describe('packageKey', () => {
  it("is scoped by the owner's opaque reference and the pipeline, and does not expose the owner id", () => {
    const key = packageKey(owner, pid);

    expect(key).toBe(`trainings/${ownerRef(owner)}/${pid}/training.zip`);
    expect(key).not.toContain(owner);
  });

  it('never gives two (owner, pipeline) pairs the same key', () => {
    fc.assert(
      fc.property(idArb, idArb, idArb, idArb, (o1, p1, o2, p2) => {
        fc.pre(o1 !== o2 || p1 !== p2);
        const key1 = packageKey(trusted<OwnerId>(o1), trusted<PipelineId>(p1));
        const key2 = packageKey(trusted<OwnerId>(o2), trusted<PipelineId>(p2));
        expect(key1).not.toBe(key2);
      }),
    );
  });

  it('differs for two owners running the same pipeline id', () => {
    fc.assert(
      fc.property(idArb, idArb, idArb, (o1, o2, p) => {
        fc.pre(o1 !== o2);
        expect(packageKey(trusted<OwnerId>(o1), trusted<PipelineId>(p))).not.toBe(packageKey(trusted<OwnerId>(o2), trusted<PipelineId>(p)));
      }),
    );
  });
});

describe('checkWrittenPackage (I3)', () => {
  const refusal = (facts: PackageFacts) => checkWrittenPackage(set, pid, facts)._unsafeUnwrapErr().code;

  it('accepts exactly the training set under this pipeline key, in any entry order', () => {
    expect(checkWrittenPackage(set, pid, written)._unsafeUnwrap()).toEqual(written);
    expect(checkWrittenPackage(set, pid, withEntries(written, [...written.entries].reverse())).isOk()).toBe(true);
  });

  it("refuses a package written under another pipeline's or another owner's key", () => {
    expect(refusal({ ...written, key: packageKey(owner, pipelineId('pipeline-43')) })).toBe('package.wrong_key');
    expect(refusal({ ...written, key: packageKey(bob, pid) })).toBe('package.wrong_key');
    expect(refusal({ ...written, key: `${packageKey(owner, pid)}.tmp` })).toBe('package.wrong_key');
  });

  it('refuses a package missing a photo', () => {
    expect(refusal(withEntries(written, written.entries.slice(1)))).toBe('package.entry_count_mismatch');
  });

  it('refuses a package with an extra photo, even one of the same owner', () => {
    const stranger: PackageEntry = { name: 'upload-999.jpg', sha256: shaOf('another photo'), byteSize: 5000 };
    expect(refusal(withEntries(written, [...written.entries, stranger]))).toBe('package.entry_count_mismatch');
  });

  it('refuses a duplicated entry name, whether added or in place of another photo', () => {
    const [first, second] = written.entries as [PackageEntry, PackageEntry, PackageEntry];
    expect(refusal(withEntries(written, [...written.entries, first]))).toBe('package.entry_mismatch');
    expect(refusal(withEntries(written, [first, second, first]))).toBe('package.entry_mismatch');
  });

  it("refuses an entry whose SHA-256 or size is not its photo's", () => {
    const [first, ...rest] = written.entries as [PackageEntry, ...PackageEntry[]];
    expect(refusal(withEntries(written, [{ ...first, sha256: shaOf('someone else') }, ...rest]))).toBe('package.entry_mismatch');
    expect(refusal(withEntries(written, [{ ...first, byteSize: first.byteSize + 1 }, ...rest]))).toBe('package.entry_mismatch');
  });

  it('refuses a photo stored under another extension than its recorded type', () => {
    const [first, ...rest] = written.entries as [PackageEntry, ...PackageEntry[]];
    expect(first.name.endsWith('.jpg')).toBe(true);
    expect(refusal(withEntries(written, [{ ...first, name: first.name.replace(/\.jpg$/, '.png') }, ...rest]))).toBe(
      'package.entry_mismatch',
    );
  });

  it('allows one caption .txt per photo', () => {
    const entries = written.entries.flatMap((entry) => [entry, caption(entry)]);
    expect(checkWrittenPackage(set, pid, withEntries(written, entries)).isOk()).toBe(true);
  });

  // Two different `x.txt` entries would leave it to the trainer's unzipper which caption it reads.
  it('refuses two caption entries with the same name', () => {
    const first = written.entries[0]!;
    const entries = [...written.entries, caption(first), { ...caption(first), sha256: shaOf('other caption') }];
    expect(checkWrittenPackage(set, pid, withEntries(written, entries)).isErr()).toBe(true);
  });

  it('refuses a .txt that is not the caption of one of the photos', () => {
    const stray: PackageEntry = { name: 'notes.txt', sha256: shaOf('notes'), byteSize: 5 };
    const foreignCaption: PackageEntry = { name: 'upload-999.txt', sha256: shaOf('caption'), byteSize: 5 };
    const doubleExtension: PackageEntry = { ...caption(written.entries[0]!), name: `${written.entries[0]!.name}.txt` };
    for (const extra of [stray, foreignCaption, doubleExtension]) {
      expect(refusal(withEntries(written, [...written.entries, extra]))).toBe('package.entry_count_mismatch');
    }
  });

  it('refuses a caption standing in for a missing photo', () => {
    const [first, ...rest] = written.entries as [PackageEntry, ...PackageEntry[]];
    expect(refusal(withEntries(written, [caption(first), ...rest]))).toBe('package.entry_count_mismatch');
  });

  it('refuses any package with one entry dropped, duplicated or altered', () => {
    const { set: bigSet } = trainingSetOf(owner, 8);
    const faithful = faithfulPackage(bigSet, pid);
    fc.assert(
      fc.property(fc.nat({ max: 7 }), fc.nat({ max: 7 }), fc.constantFrom('drop', 'duplicate', 'rehash', 'resize', 'rename'), (i, j, how) => {
        const entries = [...faithful.entries];
        const victim = entries[i]!;
        if (how === 'drop') entries.splice(i, 1);
        if (how === 'duplicate') entries.splice(j, 0, victim);
        if (how === 'rehash') entries[i] = { ...victim, sha256: shaOf(`altered ${victim.name}`) };
        if (how === 'resize') entries[i] = { ...victim, byteSize: victim.byteSize + 1 + j };
        if (how === 'rename') entries[i] = { ...victim, name: `x${victim.name}` };
        expect(checkWrittenPackage(bigSet, pid, withEntries(faithful, entries)).isErr()).toBe(true);
      }),
    );
  });
});

describe('verifyPackage (I3)', () => {
  it('verifies a read-back identical to what was written', () => {
    const verified = verifyPackage(set, pid, written, { ...written })._unsafeUnwrap();
    expect(verified).toEqual(written);
  });

  it('refuses a read-back from another key, or a written key not scoped to this pipeline', () => {
    const elsewhere = { ...written, key: packageKey(bob, pid) };
    expect(verifyPackage(set, pid, written, elsewhere)._unsafeUnwrapErr().code).toBe('package.wrong_key');
    expect(verifyPackage(set, pid, elsewhere, elsewhere)._unsafeUnwrapErr().code).toBe('package.wrong_key');
  });

  it('refuses a stored zip whose SHA-256 or size differs from the written one', () => {
    expect(verifyPackage(set, pid, written, { ...written, sha256: shaOf('corrupted zip') })._unsafeUnwrapErr().code).toBe(
      'package.hash_mismatch',
    );
    // e.g. the aws-chunked framing s3rver stores in default checksum mode (docs/stack-notes.md): bigger object, same entries
    expect(verifyPackage(set, pid, written, { ...written, byteSize: written.byteSize + 54 })._unsafeUnwrapErr().code).toBe(
      'package.hash_mismatch',
    );
  });

  it("refuses a read-back whose entries are not the training set's, even when the zip hash agrees", () => {
    const [first, ...rest] = written.entries as [PackageEntry, ...PackageEntry[]];
    const tampered = withEntries(written, [{ ...first, sha256: shaOf('swapped photo') }, ...rest]);
    expect(verifyPackage(set, pid, written, tampered)._unsafeUnwrapErr().code).toBe('package.entry_mismatch');
    expect(verifyPackage(set, pid, written, withEntries(written, rest))._unsafeUnwrapErr().code).toBe(
      'package.entry_count_mismatch',
    );
  });

  it("refuses another owner's faithful package for the same pipeline id", () => {
    const { set: bobSet } = trainingSetOf(bob, 3);
    const bobs = faithfulPackage(bobSet, pid);
    expect(verifyPackage(set, pid, bobs, bobs)._unsafeUnwrapErr().code).toBe('package.wrong_key');
    const relabelled = { ...bobs, key: written.key };
    expect(verifyPackage(set, pid, relabelled, relabelled)._unsafeUnwrapErr().code).toBe('package.entry_mismatch');
  });
});

describe('package refusals name what is wrong', () => {
  it('says which entry, which key or which hash did not match', () => {
    const [first, second] = written.entries as [PackageEntry, PackageEntry];
    const other = packageKey(bob, pid);
    const details = [
      checkWrittenPackage(set, pid, withEntries(written, [...written.entries, first])),
      checkWrittenPackage(set, pid, withEntries(written, written.entries.slice(1))),
      checkWrittenPackage(set, pid, withEntries(written, written.entries.map((e) => (e === second ? { ...e, name: 'stranger.jpg' } : e)))),
      checkWrittenPackage(set, pid, withEntries(written, written.entries.map((e) => (e === second ? { ...e, byteSize: e.byteSize + 1 } : e)))),
      checkWrittenPackage(set, pid, { ...written, key: other }),
      verifyPackage(set, pid, written, { ...written, key: other }),
      verifyPackage(set, pid, written, { ...written, sha256: shaOf('another zip') }),
    ].map((result) => result._unsafeUnwrapErr().detail);
    expect(details).toEqual([
      'repeated entry name',
      '2 entries for 3 photos',
      'unexpected entry stranger.jpg',
      `entry ${second.name} differs from upload ${set.items[1]!.uploadId}`,
      `written to ${other}`,
      `read back ${other}, written ${written.key}`,
      `stored zip sha256 ${shaOf('another zip')} != written ${written.sha256}`,
    ]);
  });
});
