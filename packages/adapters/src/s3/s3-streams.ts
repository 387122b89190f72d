import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, type GetObjectCommandInput, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { trusted, type Sha256 } from '@selfie-lora/core';
import type { S3Bucket } from './s3-bucket.js';
import { isMissingObject } from './s3-errors.js';

/** SHA-256 and byte count of bytes seen one chunk at a time: memory stays constant. */
export class ByteMeter {
  private readonly hash = createHash('sha256');
  byteSize = 0;

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.byteSize += chunk.byteLength;
  }

  digest(): Sha256 {
    return trusted<Sha256>(this.hash.digest('hex'));
  }
}

export function bodyOf(output: GetObjectCommandOutput): Readable {
  if (output.Body instanceof Readable) return output.Body;
  throw new Error('S3 GetObject answered without a Node stream body');
}

/** A GetObject; `null` when the key holds no object. Other failures throw (the caller classifies). */
export async function getObject(
  s3: S3Bucket,
  key: string,
  extra: Omit<GetObjectCommandInput, 'Bucket' | 'Key'> = {},
): Promise<GetObjectCommandOutput | null> {
  try {
    return await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key, ...extra }));
  } catch (cause) {
    if (isMissingObject(cause)) return null;
    throw cause;
  }
}
