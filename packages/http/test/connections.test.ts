import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from './support/harness.js';
import { tokenFor } from './support/tokens.js';
import { replicateVerifier } from './support/webhooks.js';

// A slow client must not hold a connection for ever (issue 15, point 3). The server is real
// (listening on loopback) because timeouts live in Node's HTTP server, not in `inject`.

const SHORT = { requestMs: 600, headersMs: 300, idleMs: 5_000, keepAliveMs: 1_000 };
let open: Harness | null = null;

afterEach(async () => {
  await open?.app.close();
  open = null;
});

async function listening(options: Parameters<typeof harness>[0] = {}): Promise<{ h: Harness; port: number }> {
  const h = await harness(options);
  open = h;
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  return { h, port: (h.app.server.address() as AddressInfo).port };
}

interface Conversation {
  readonly socket: Socket;
  /** Everything the server sent until it closed the connection. */
  readonly closed: Promise<string>;
}

function talk(port: number): Promise<Conversation> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      const closed = new Promise<string>((done) => socket.on('close', () => done(received)));
      resolve({ socket, closed });
    });
    socket.on('error', reject);
  });
}

/**
 * Sends `text` one byte per tick until the server closes the connection. Returns how many bytes
 * got out: the server cut the client off if that is fewer than it had to send. The tick count
 * is only a safety bound, never a timing assertion.
 */
async function dribble(conversation: Conversation, text: string, tickMs = 50): Promise<number> {
  let sent = 0;
  let closed = false;
  void conversation.closed.then(() => (closed = true));
  while (!closed && sent < text.length) {
    conversation.socket.write(text[sent]!);
    sent += 1;
    await new Promise((r) => setTimeout(r, tickMs));
  }
  return sent;
}

describe('server timeouts', () => {
  it('cuts off a client that dribbles its headers: 408, connection closed', async () => {
    const { port } = await listening({ app: { timeouts: SHORT } });
    const c = await talk(port);
    const headers = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(400)}\r\n\r\n`;
    const sent = await dribble(c, headers);
    expect(sent).toBeLessThan(headers.length);
    const answer = await c.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('application/problem+json');
  });

  it('cuts off a client that dribbles its body', async () => {
    const { port } = await listening({ app: { timeouts: SHORT } });
    const c = await talk(port);
    const body = JSON.stringify({ triggerWord: 'x'.repeat(300) });
    c.socket.write(
      `POST /v1/trainings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${await tokenFor('alice')}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    const sent = await dribble(c, body);
    expect(sent).toBeLessThan(body.length);
    await c.closed;
    expect(c.socket.destroyed).toBe(true);
  });

  it('has limits by default (Node and Fastify have none)', async () => {
    const { h } = await listening();
    expect(h.app.server.requestTimeout).toBeGreaterThan(0);
    expect(h.app.server.headersTimeout).toBeGreaterThan(0);
    expect(h.app.server.timeout).toBeGreaterThan(0);
    expect(h.app.server.keepAliveTimeout).toBeGreaterThan(0);
  });
});

describe('webhook route refuses before reading the body', () => {
  // The body is announced as 1 MB and never sent: an answer can only come from the headers.
  async function announce(port: number, headers: string): Promise<string> {
    const c = await talk(port);
    const answered = new Promise<string>((resolve) => {
      let text = '';
      c.socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (text.includes('\r\n\r\n') && text.includes('}')) resolve(text);
      });
    });
    c.socket.write(`POST /v1/webhooks/replicate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n${headers}\r\n`);
    const text = await answered;
    c.socket.destroy();
    return text;
  }

  /** With the real verifier: an unconfigured route answers 503 to everything. */
  async function webhookServer() {
    let verifier: ReturnType<typeof replicateVerifier> | null = null;
    const server = await listening({ app: { verifyWebhook: (input) => verifier!(input) } });
    verifier = replicateVerifier(server.h.core);
    return server;
  }

  it('without the webhook headers: 400 webhook.malformed', async () => {
    const { port } = await webhookServer();
    const answer = await announce(port, '');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('"code":"webhook.malformed"');
  });

  it('with a stale timestamp: 401 webhook.stale', async () => {
    const { h, port } = await webhookServer();
    const sixMinutesAgo = Math.floor(h.core.clock.now().getTime() / 1000) - 360;
    const answer = await announce(port, `webhook-id: msg_1\r\nwebhook-timestamp: ${sixMinutesAgo}\r\nwebhook-signature: v1,AAAA\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer).toContain('"code":"webhook.stale"');
  });
});
