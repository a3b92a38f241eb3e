// A TCP listener on the test process's loopback that hands each connection to a unix
// socket: lets a test dial gobgpd as production does (host:port) although gobgpd serves
// its API on a unix socket inside its namespace. A listening socket changes nothing in
// the root namespace's configuration; it dies with close() or the process.
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface TcpRelay {
  readonly port: number;
  close(): Promise<void>;
}

export async function relayTcpToUnix(socketPath: string): Promise<TcpRelay> {
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  const server = createServer((client) => {
    const upstream = connect(socketPath);
    track(client);
    track(upstream);
    client.pipe(upstream).pipe(client);
    // Either side failing (gobgpd killed) ends both, as a direct connection would.
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
