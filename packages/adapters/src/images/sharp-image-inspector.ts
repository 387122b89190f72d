import { fileTypeFromBuffer } from 'file-type';
import { errAsync, okAsync, ResultAsync } from 'neverthrow';
import sharp from 'sharp';
import { domainError, isImageType, transientError, type ByteStream, type DomainError, type ImageFacts, type ImageInspector, type ImageType } from '@selfie-lora/core';

type InspectError = DomainError<'upload.unsupported_type' | 'upload.corrupt' | 'storage.unavailable'>;

async function collect(bytes: ByteStream): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of bytes) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * Judges images by their bytes: the type by magic numbers (file-type), then a full decode with
 * libvips (sharp) that fails on truncated or damaged data, which also yields true dimensions.
 */
export class SharpImageInspector implements ImageInspector {
  sniff(head: Uint8Array): ResultAsync<ImageType | null, never> {
    return ResultAsync.fromSafePromise(
      fileTypeFromBuffer(head).then(
        (type) => (type && isImageType(type.mime) ? type.mime : null),
        () => null,
      ),
    );
  }

  inspect(bytes: ByteStream): ResultAsync<ImageFacts, InspectError> {
    // A stream that breaks off is storage trouble, not the photo's fault: retryable.
    return ResultAsync.fromPromise(collect(bytes), (cause) => transientError('storage.unavailable', `read failed: ${String(cause)}`)).andThen(
      (buffer) =>
        this.sniff(buffer.subarray(0, 4100)).andThen((contentType) => {
          if (contentType === null) return errAsync<ImageFacts, InspectError>(domainError('upload.unsupported_type', 'magic bytes'));
          return ResultAsync.fromPromise(
            // `failOn: 'truncated'` makes a cut-off file an error; stats() forces a full decode.
            sharp(buffer, { failOn: 'truncated', limitInputPixels: 100_000_000 })
              .stats()
              .then(() => sharp(buffer).metadata()),
            (cause) => domainError('upload.corrupt', `decode failed: ${String(cause)}`),
          ).andThen((meta) =>
            meta.width && meta.height
              ? okAsync({ contentType, width: meta.autoOrient?.width ?? meta.width, height: meta.autoOrient?.height ?? meta.height })
              : errAsync(domainError('upload.corrupt', 'no dimensions')),
          );
        }),
    );
  }
}
