import { describe, expect, it } from 'vitest';
import { ImageWorkQueue } from '../../src/images/image-work-queue.js';
import { SharpPhotoNormaliser } from '../../src/images/sharp-photo-normaliser.js';
import { photo } from '@selfie-lora/testkit/photos';

/** A queue that counts the jobs it was given, to show what never reached a decode. */
class CountingQueue extends ImageWorkQueue {
  started = 0;
  override run<T>(job: () => Promise<T>): Promise<T> {
    this.started += 1;
    return super.run(job);
  }
}

describe('bounded image work (issue 15.1)', () => {
  it('refuses an image declaring too many pixels from its header, without queueing a decode', async () => {
    const queue = new CountingQueue();
    const normaliser = new SharpPhotoNormaliser({ maxPixels: 300 * 300, queue });
    const refused = await normaliser.normalise(await photo(3, { format: 'png', width: 400, height: 400 }));
    expect(refused._unsafeUnwrapErr().code).toBe('upload.too_many_pixels');
    expect(queue.started).toBe(0);
    await normaliser.normalise(await photo(3, { format: 'png', width: 300, height: 300 }));
    expect(queue.started).toBe(1);
  });

  it('judges the limit on the declared pixels: at the limit decodes, one row past it is refused', async () => {
    const normaliser = new SharpPhotoNormaliser({ maxPixels: 300 * 300 });
    const atLimit = await normaliser.normalise(await photo(1, { format: 'png', width: 300, height: 300 }));
    expect(atLimit._unsafeUnwrap().facts).toMatchObject({ width: 300, height: 300 });
    const past = await normaliser.normalise(await photo(1, { format: 'png', width: 300, height: 301 }));
    expect(past._unsafeUnwrapErr().code).toBe('upload.too_many_pixels');
  });

  it('answers upload.busy (transient) once the bounded line is full, and works again when it drains', async () => {
    const queue = new ImageWorkQueue({ concurrency: 1, maxWaiting: 1 });
    const normaliser = new SharpPhotoNormaliser({ queue });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const holding = queue.run(() => gate);
    const waiting = queue.run(() => Promise.resolve());
    expect([queue.active, queue.waiting]).toEqual([1, 1]);
    const refused = await normaliser.normalise(await photo(2));
    expect(refused._unsafeUnwrapErr()).toMatchObject({ code: 'upload.busy', transient: true });
    release();
    await Promise.all([holding, waiting]);
    expect((await normaliser.normalise(await photo(2)))._unsafeUnwrap().facts).toMatchObject({ contentType: 'image/jpeg' });
  });

  it('never runs more jobs at once than its concurrency', async () => {
    const queue = new ImageWorkQueue({ concurrency: 2, maxWaiting: 32 });
    let running = 0;
    let peak = 0;
    const job = async () => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
    };
    await Promise.all(Array.from({ length: 12 }, () => queue.run(job)));
    expect(peak).toBe(2);
  });
});
