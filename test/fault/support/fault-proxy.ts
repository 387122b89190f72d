import { connect, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode = 'pass' | 'refuse';

/**
 * A TCP proxy on loopback in front of one dependency (Postgres, S3, the simulator) that a test
 * steers: `cut()` drops every open connection, `mode = 'refuse'` closes new ones at once, and
 * `delayMs` holds each chunk in both directions for that long.
 */
export class FaultProxy {
  mode: ProxyMode = 'pass';
  delayMs = 0;
  /** Faults injected, by kind, for the fault matrix. */
  readonly injected = { cut: 0, refused: 0 };
  /** Bytes relayed so far, both directions: a transfer is under way while this grows. */
  relayedBytes = 0;
  private readonly open = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<FaultProxy> {
    let proxy: FaultProxy | null = null;
    const server = createServer((client) => proxy!.accept(client, target));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    proxy = new FaultProxy(server, typeof address === 'object' && address !== null ? address.port : 0);
    return proxy;
  }

  /** `url` with its host and port replaced by the proxy's. */
  front(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString().replace(/\/$/, url.endsWith('/') ? '/' : '');
  }

  cut(): void {
    this.injected.cut += 1;
    for (const socket of this.open) socket.destroy();
    this.open.clear();
  }

  async close(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    if (this.mode === 'refuse') {
      this.injected.refused += 1;
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      this.open.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.open.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    const relay = (from: Socket, to: Socket) =>
      from.on('data', (chunk: Buffer) => {
        this.relayedBytes += chunk.length;
        if (this.delayMs <= 0) to.write(chunk);
        else {
          from.pause();
          setTimeout(() => {
            to.write(chunk);
            from.resume();
          }, this.delayMs);
        }
      });
    relay(client, upstream);
    relay(upstream, client);
  }
}
