import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PackageSource } from '@selfie-lora/core';
import { S3Packager } from '../../src/s3/index.js';
import { logCommands } from './support/command-log.js';
import { collect, noiseBytes, sha256Of, streamOf } from '@selfie-lora/testkit/photos';
import { startS3Fixture, type S3Fixture } from './support/local-s3.js';

const MiB = 1024 * 1024;

// Generous timeouts: these talk to a real server, and `npm test` runs many suites at once.
describe('S3Packager on s3rver', { timeout: 30_000 }, () => {
  let fixture: S3Fixture;
  beforeAll(async () => {
    fixture = await startS3Fixture();
  });
  afterAll(async () => {
    await fixture?.close();
  });

  async function sourcesOf(prefix: string, contents: readonly Uint8Array[], name = (i: number) => `${i}.bin`): Promise<PackageSource[]> {
    const sources: PackageSource[] = [];
    for (const [i, bytes] of contents.entries()) {
      const key = `${prefix}/${i}`;
      (await fixture.store.put(key, streamOf(bytes, 256 * 1024), { maxBytes: 20 * MiB }))._unsafeUnwrap();
      sources.push({ name: name(i), key });
    }
    return sources;
  }

  it('packs a set larger than one multipart part and reads it back entry for entry', async () => {
    const contents = [noiseBytes(3 * MiB, 1), noiseBytes(2 * MiB + 17, 2), noiseBytes(3 * MiB + 5, 3)];
    const sources = await sourcesOf('big', contents);
    const written = (await fixture.packager.build('packages/big.zip', sources))._unsafeUnwrap();
    expect(written.byteSize).toBeGreaterThan(8 * MiB);
    expect(written.entries).toEqual(contents.map((bytes, i) => ({ name: `${i}.bin`, sha256: sha256Of(bytes), byteSize: bytes.byteLength })));
    expect((await fixture.packager.readBack('packages/big.zip'))._unsafeUnwrap()).toEqual(written);
  });

  it('reads a central directory that spans several read-ahead windows, in a few ranged requests', async () => {
    const contents = Array.from({ length: 5 }, (_, i) => noiseBytes(50 + i, 100 + i));
    const stored = await sourcesOf('many', contents);
    // 150 entries with long names from 5 objects: a central directory of about 74 KB.
    const sources = Array.from({ length: 150 }, (_, i) => ({ name: `${String(i).padStart(4, '0')}-${'x'.repeat(440)}.jpg`, key: stored[i % 5]!.key }));
    const written = (await fixture.packager.build('packages/many.zip', sources))._unsafeUnwrap();

    let rangedGets = 0;
    const counter = 'count-ranged-gets';
    fixture.s3.client.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'GetObjectCommand' && (args.input as { Range?: string }).Range) rangedGets += 1;
        return next(args);
      },
      { step: 'initialize', name: counter },
    );
    try {
      const readBack = (await fixture.packager.readBack('packages/many.zip'))._unsafeUnwrap();
      expect(readBack.entries).toHaveLength(150);
      expect(readBack).toEqual(written);
    } finally {
      fixture.s3.client.middlewareStack.remove(counter);
    }
    // Reading record by record would take two requests per entry.
    expect(rangedGets).toBeGreaterThanOrEqual(2);
    expect(rangedGets).toBeLessThanOrEqual(4);
  });

  it('writes the same bytes for the same photos (a rebuilt package has the same SHA-256)', async () => {
    const sources = await sourcesOf('same', [noiseBytes(1000, 9), noiseBytes(2000, 10)]);
    const first = (await fixture.packager.build('packages/same-1.zip', sources))._unsafeUnwrap();
    const second = (await fixture.packager.build('packages/same-2.zip', sources))._unsafeUnwrap();
    expect(second.sha256).toBe(first.sha256);
  });

  it('aborts the multipart upload when a source is missing after parts went out: no package is left', async () => {
    const sources = await sourcesOf('gap', [noiseBytes(4 * MiB, 4), noiseBytes(4 * MiB, 5)]);
    const withGap = [...sources, { name: 'ghost.bin', key: 'gap/ghost' }];
    const s3 = fixture.connect('when_required');
    const log = logCommands(s3);
    const error = (await new S3Packager(s3).build('packages/gap.zip', withGap))._unsafeUnwrapErr();
    log.stop();
    expect(error.code).toBe('verify.object_missing');
    expect(error.detail).toMatch(/gap\/ghost/);
    expect(log.inputs('UploadPartCommand')).toHaveLength(1);
    expect(log.inputs('AbortMultipartUploadCommand').map((input) => input['UploadId'])).toEqual([log.inputs('UploadPartCommand')[0]?.['UploadId']]);
    expect(log.names()).not.toContain('CompleteMultipartUploadCommand');
    expect((await fixture.store.inspect('packages/gap.zip'))._unsafeUnwrap()).toEqual({ exists: false });
  });

  it('streams the archive through a fixed set of part buffers: exact-length parts, no more buffers than queueSize', async () => {
    const contents = [noiseBytes(4 * MiB, 11), noiseBytes(4 * MiB + 3, 12), noiseBytes(4 * MiB + 5, 13), noiseBytes(3 * MiB, 14)];
    const sources = await sourcesOf('bounded', contents);
    const s3 = fixture.connect('when_required');
    const log = logCommands(s3);
    const packager = new S3Packager(s3, { queueSize: 2 });
    const written = (await packager.build('packages/bounded.zip', sources))._unsafeUnwrap();
    log.stop();
    const parts = log.inputs('UploadPartCommand');
    expect(parts).toHaveLength(Math.ceil(written.byteSize / (5 * MiB)));
    expect(parts.reduce((sum, part) => sum + Number(part['ContentLength']), 0)).toBe(written.byteSize);
    for (const part of parts) expect((part['Body'] as Buffer).byteLength).toBe(part['ContentLength']);
    expect(new Set(parts.map((part) => (part['Body'] as Buffer).buffer)).size).toBe(2);
    expect((await packager.readBack('packages/bounded.zip'))._unsafeUnwrap()).toEqual(written);
  });

  it('refuses a package altered in place: the entry no longer matches its CRC-32', async () => {
    const sources = await sourcesOf('altered', [noiseBytes(5000, 6)]);
    (await fixture.packager.build('packages/altered.zip', sources))._unsafeUnwrap();
    const zip = Buffer.from(await collect((await fixture.store.read('packages/altered.zip'))._unsafeUnwrap()!));
    zip[100] = zip[100]! ^ 0xff;
    (await fixture.store.put('packages/altered.zip', streamOf(zip), { maxBytes: MiB }))._unsafeUnwrap();
    const error = (await fixture.packager.readBack('packages/altered.zip'))._unsafeUnwrapErr();
    expect(error.code).toBe('package.unreadable');
    expect(error.detail).toMatch(/CRC-32/);
  });

  it('refuses a ZIP with a compressed entry (it cannot be one we wrote)', async () => {
    const zip = zipSync({ 'a.jpg': [noiseBytes(3000, 7), { level: 0 }], 'b.jpg': [new Uint8Array(3000), { level: 9 }] });
    (await fixture.store.put('packages/deflated.zip', streamOf(zip), { maxBytes: MiB }))._unsafeUnwrap();
    const error = (await fixture.packager.readBack('packages/deflated.zip'))._unsafeUnwrapErr();
    expect(error.code).toBe('package.unreadable');
    expect(error.detail).toMatch(/b\.jpg is not stored plainly/);
  });
});

describe('S3Packager when the server is gone', { timeout: 30_000 }, () => {
  it('reports a transient storage.unavailable, not a missing or unreadable package', async () => {
    const fixture = await startS3Fixture({ maxAttempts: 1 });
    (await fixture.store.put('src/a', streamOf(noiseBytes(100, 1)), { maxBytes: MiB }))._unsafeUnwrap();
    (await fixture.packager.build('packages/p.zip', [{ name: 'a.bin', key: 'src/a' }]))._unsafeUnwrap();
    await fixture.server.close();
    try {
      for (const result of [
        await fixture.packager.build('packages/q.zip', [{ name: 'a.bin', key: 'src/a' }]),
        await fixture.packager.readBack('packages/p.zip'),
      ]) {
        const error = result._unsafeUnwrapErr();
        expect(error.code).toBe('storage.unavailable');
        expect(error.transient).toBe(true);
      }
    } finally {
      await fixture.close();
    }
  });
});
