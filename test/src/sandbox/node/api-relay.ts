// The node's way to the API: the simulator listens on a unix socket in the state
// directory (filesystem paths cross network namespaces, loopback addresses do not), and
// this relay makes it 127.0.0.1:6443 inside the node's namespace, where every process of
// the node uses --master=http://127.0.0.1:6443. Bytes are copied as they are, so watches
// stream through unchanged.
import { connect, createServer, type Socket } from 'node:net';
import type { Logger } from '@kr/observability';

export interface ApiRelayOptions {
  readonly host: string;
  readonly port: number;
  /** The simulator's unix socket. */
  readonly socketPath: string;
  readonly log: Logger;
}

export interface ApiRelay {
  /** The port listened on (useful when 0 was asked for). */
  readonly port: number;
  /** Stops listening and cuts every relayed connection. */
  close(): Promise<void>;
}

export async function startApiRelay(options: ApiRelayOptions): Promise<ApiRelay> {
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const server = createServer((client) => {
    const upstream = connect(options.socketPath);
    track(client);
    track(upstream);
    client.pipe(upstream).pipe(client);
    // One side failing ends the other: a client sees the API go away as a reset, as it
    // would with a real server restart.
    client.on('error', () => upstream.destroy());
    upstream.on('error', (err) => {
      options.log.warn({ err, socket: options.socketPath }, 'API socket connection failed');
      client.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  options.log.info({ listen: `${options.host}:${port}`, socket: options.socketPath }, 'API relay listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
