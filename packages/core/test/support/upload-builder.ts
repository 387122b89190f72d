import type { OwnerId, Sha256, UploadId } from '../../src/domain/ids.js';
import type { ImageType, Upload } from '../../src/domain/upload.js';
import { alice, shaOf, uploadId } from './ids.js';
import { t0 } from './time.js';

let sequence = 0;

/** Object mother for `Upload` rows: `anUpload().ownedBy(bob).ofType('image/png').build()`. */
export class UploadBuilder {
  private upload: Upload;

  constructor(id: UploadId) {
    this.upload = {
      id,
      ownerId: alice,
      status: 'stored',
      contentType: 'image/jpeg',
      byteSize: 100_000 + sequence,
      sha256: shaOf(`bytes of ${id}`),
      sourceSha256: shaOf(`bytes sent for ${id}`),
      width: 1024,
      height: 768,
      checks: [],
      faceEmbedding: null,
      createdAt: t0,
      deletedAt: null,
      revision: 0,
    };
  }

  ownedBy(ownerId: OwnerId): this {
    return this.with({ ownerId });
  }

  ofType(contentType: ImageType): this {
    return this.with({ contentType });
  }

  sized(byteSize: number): this {
    return this.with({ byteSize });
  }

  hashed(sha256: Sha256): this {
    return this.with({ sha256 });
  }

  deleted(): this {
    return this.with({ status: 'deleted', deletedAt: t0 });
  }

  build(): Upload {
    return this.upload;
  }

  private with(fields: Partial<Upload>): this {
    this.upload = { ...this.upload, ...fields };
    return this;
  }
}

export function anUpload(id?: string): UploadBuilder {
  sequence += 1;
  return new UploadBuilder(uploadId(id ?? `upload-${sequence}`));
}

/** `count` stored uploads of one owner, with distinct ids, hashes and sizes. */
export function uploadsOf(ownerId: OwnerId, count: number): Upload[] {
  return Array.from({ length: count }, () => anUpload().ownedBy(ownerId).build());
}
