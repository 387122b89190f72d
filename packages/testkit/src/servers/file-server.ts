import { createServer } from 'node:http';
import { listenOnLoopback } from './loopback-server.js';

export interface FileServer {
  /** Serves `bytes` at `/<key>` (or leaves the key to `lookup`) and answers a signed-looking URL for it. */
  serve(key: string, bytes?: Uint8Array): string;
  /** The path of every request, in order, served or not. */
  readonly downloads: string[];
  close(): Promise<void>;
}

/**
 * A loopback HTTP file server standing in for signed S3 GET URLs: a trainer really downloads the
 * package from it. Paths resolve through `lookup` when not served explicitly, so a store's bytes
 * can be served as they are.
 */
export async function startFileServer(lookup: (key: string) => Uint8Array | undefined = () => undefined): Promise<FileServer> {
  const files = new Map<string, Uint8Array>();
  const downloads: string[] = [];
  const server = createServer((request, response) => {
    const path = decodeURIComponent((request.url ?? '/').split('?')[0]!);
    const bytes = files.get(path) ?? lookup(path.slice(1));
    downloads.push(path);
    if (!bytes) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/zip', 'content-length': bytes.byteLength }).end(bytes);
  });
  const { port, close } = await listenOnLoopback(server);
  return {
    serve(key, bytes) {
      if (bytes) files.set(`/${key}`, bytes);
      return `http://127.0.0.1:${port}/${key}?X-Amz-Expires=3600&X-Amz-Signature=test`;
    },
    downloads,
    close,
  };
}
