import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Listening {
  /** The port the OS chose on 127.0.0.1. */
  readonly port: number;
  /** Ends open connections (keep-alive included) and stops listening. */
  readonly close: () => Promise<void>;
}

/** Starts `server` on 127.0.0.1 at a port the OS picks. */
export async function listenOnLoopback(server: Server): Promise<Listening> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
