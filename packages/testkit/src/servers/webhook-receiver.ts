import { createServer } from 'node:http';
import { listenOnLoopback } from './loopback-server.js';

export interface Delivery {
  readonly headers: Record<string, string>;
  /** Exactly the bytes received. */
  readonly rawBody: Uint8Array;
  /** The same bytes as UTF-8 text. */
  readonly body: string;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly deliveries: Delivery[];
  close(): Promise<void>;
}

/** A loopback endpoint that records raw webhook deliveries and answers the scripted statuses (then 200). */
export async function startWebhookReceiver(statuses: readonly number[] = []): Promise<WebhookReceiver> {
  const deliveries: Delivery[] = [];
  const script = [...statuses];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string') headers[name] = value;
      const bytes = Buffer.concat(chunks);
      deliveries.push({ headers, rawBody: new Uint8Array(bytes), body: bytes.toString('utf8') });
      response.writeHead(script.shift() ?? 200).end();
    });
  });
  const { port, close } = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${port}/v1/webhooks/replicate`, deliveries, close };
}
