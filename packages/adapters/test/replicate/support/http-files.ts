import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP file server standing in for signed S3 GET URLs: the trainer really downloads
 * the package from it. Paths resolve through `lookup`, so a store's bytes can be served as-is.
 */
export async function startFileServer(lookup: (path: string) => Uint8Array | undefined = () => undefined): Promise<{
  /** Serves `bytes` at `/<key>` and answers a signed-looking URL for it. */
  serve(key: string, bytes?: Uint8Array): string;
  readonly downloads: string[];
  close(): Promise<void>;
}> {
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    serve(key, bytes) {
      if (bytes) files.set(`/${key}`, bytes);
      return `http://127.0.0.1:${port}/${key}?X-Amz-Expires=3600&X-Amz-Signature=test`;
    },
    downloads,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
