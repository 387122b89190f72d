import { ResultAsync, type Result } from 'neverthrow';
import { SharpImageInspector } from '@selfie-lora/adapters';
import type { ByteStream, ImageFacts, ImageInspector, ImageType } from '@selfie-lora/core';
import { streamOf } from '../../support/images.js';
import { sha256Of } from './pool.js';

// Whatever errors the port declares (it has grown before): taken from the port, not restated.
type InspectError = ReturnType<ImageInspector['inspect']> extends ResultAsync<ImageFacts, infer E> ? E : never;

async function collect(bytes: ByteStream): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of bytes) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * The real sharp inspector, remembered per distinct byte string. Its verdict is a pure function of
 * the bytes, and a full decode costs ~10 ms: thousands of uploads of the same pool photos across
 * runs would otherwise dominate the suite's time.
 */
export class MemoizedImageInspector implements ImageInspector {
  private readonly inner = new SharpImageInspector();
  private readonly verdicts = new Map<string, Result<ImageFacts, InspectError>>();

  sniff(head: Uint8Array): ResultAsync<ImageType | null, never> {
    return this.inner.sniff(head);
  }

  inspect(bytes: ByteStream): ResultAsync<ImageFacts, InspectError> {
    const judge = async (): Promise<Result<ImageFacts, InspectError>> => {
      const buffer = await collect(bytes);
      const key = sha256Of(buffer);
      const known = this.verdicts.get(key);
      if (known) return known;
      const verdict = await this.inner.inspect(streamOf(buffer));
      this.verdicts.set(key, verdict);
      return verdict;
    };
    return new ResultAsync(judge());
  }
}
