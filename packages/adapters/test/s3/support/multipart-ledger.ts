import { setTimeout as sleep } from 'node:timers/promises';
import { S3Client } from '@aws-sdk/client-s3';
import type { S3Bucket } from '../../../src/s3/index.js';
import { internalError } from './command-log.js';

interface OpenUpload {
  readonly key: string;
  readonly parts: Map<number, { readonly etag: string; readonly bytes: Buffer }>;
}

function noSuchUpload(id: unknown): Error {
  return Object.assign(new Error(`no upload ${String(id)}`), { name: 'NoSuchUpload', $metadata: { httpStatusCode: 404 } });
}

/**
 * An in-memory model of S3's multipart bookkeeping behind a real S3Client (every command is
 * answered by a middleware before it would leave): which uploads are open, which objects exist,
 * and which parts arrived for an upload that was no longer open. s3rver 3.7.1 can show none of
 * this: it implements neither AbortMultipartUpload nor ListMultipartUploads.
 *
 * A part's bytes are copied when its (simulated) transfer ends, as a server reads a request
 * body while it arrives: a writer that refilled a part buffer too early would store wrong bytes.
 */
export class MultipartLedger {
  readonly objects = new Map<string, Buffer>();
  readonly open = new Map<string, OpenUpload>();
  readonly lateParts: number[] = [];
  readonly aborted: string[] = [];
  private uploads = 0;
  readonly s3: S3Bucket;

  constructor(
    private readonly behaviour: {
      /** Part numbers that S3 answers with a 500. */
      readonly failParts?: readonly number[];
      readonly failComplete?: boolean;
      /** Milliseconds a part takes to arrive. */
      readonly partMs?: number;
    } = {},
  ) {
    const client = new S3Client({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'ledger', secretAccessKey: 'ledger' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 1,
    });
    client.middlewareStack.add(
      (_next, context) => async (args) => {
        const output = await this.answer(context.commandName ?? '', args.input as Record<string, unknown>);
        return { output: { $metadata: { httpStatusCode: 200 }, ...output }, response: {} };
      },
      { step: 'initialize', name: 'multipart-ledger' },
    );
    this.s3 = { bucket: 'ledger', client, presigner: client, close: () => client.destroy() };
  }

  private async answer(command: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
    const key = String(input['Key']);
    const id = input['UploadId'];
    switch (command) {
      case 'PutObjectCommand':
        this.objects.set(key, Buffer.from(input['Body'] as Uint8Array));
        return { ETag: '"whole"' };
      case 'CreateMultipartUploadCommand': {
        const uploadId = `upload-${(this.uploads += 1)}`;
        this.open.set(uploadId, { key, parts: new Map() });
        return { UploadId: uploadId };
      }
      case 'UploadPartCommand': {
        const number = Number(input['PartNumber']);
        await sleep(this.behaviour.partMs ?? 2);
        const upload = this.open.get(String(id));
        if (!upload) {
          this.lateParts.push(number);
          throw noSuchUpload(id);
        }
        if (this.behaviour.failParts?.includes(number)) throw internalError();
        const etag = `"part-${number}"`;
        upload.parts.set(number, { etag, bytes: Buffer.from(input['Body'] as Uint8Array) });
        return { ETag: etag };
      }
      case 'CompleteMultipartUploadCommand': {
        const upload = this.open.get(String(id));
        if (!upload) throw noSuchUpload(id);
        if (this.behaviour.failComplete) throw internalError();
        const listed = (input['MultipartUpload'] as { Parts: { PartNumber: number; ETag: string }[] }).Parts;
        const bytes = listed.map((part) => {
          const stored = upload.parts.get(part.PartNumber);
          if (!stored || stored.etag !== part.ETag) throw Object.assign(new Error(`bad part ${part.PartNumber}`), { name: 'InvalidPart', $metadata: { httpStatusCode: 400 } });
          return stored.bytes;
        });
        this.open.delete(String(id));
        this.objects.set(upload.key, Buffer.concat(bytes));
        return { ETag: '"multipart"' };
      }
      case 'AbortMultipartUploadCommand':
        if (!this.open.delete(String(id))) throw noSuchUpload(id);
        this.aborted.push(String(id));
        return {};
      default:
        throw new Error(`the ledger does not answer ${command}`);
    }
  }
}
