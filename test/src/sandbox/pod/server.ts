// The sandbox's pod server, like agnhost's netexec/serve-hostname: inside a pod's network
// namespace it answers on every declared containerPort with the pod's `namespace/name`:
// TCP writes `NS/NAME\n` and closes, UDP replies `NS/NAME\n` to each datagram.
//
//   server.js --name NS/NAME --ports 8080/TCP,5353/UDP
//
// One process per pod, so it loads nothing but node:net/node:dgram/node:os (the kubelet starts it
// with --max-semi-space-size=1 --jitless). It prints one JSON line
// `{"ready":true,...}` once every port is bound; exits 0 on SIGTERM, 2 on bad arguments,
// 1 when a port cannot be bound.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { parseArgs } from 'node:util';
import { parsePortList, type PodPort } from './ports.js';

interface Bound {
  readonly port: PodPort;
  /** `::` (both families) or `0.0.0.0` when the namespace has no IPv6. */
  readonly address: string;
  close(): void;
}

// A dual-stack socket on `::` serves both families; when IPv6 is disabled in the pod's
// namespace, binding `::` fails with one of these and IPv4 alone is served.
const NO_IPV6 = new Set(['EAFNOSUPPORT', 'EADDRNOTAVAIL', 'EPROTONOSUPPORT']);

function listenTcp(port: number, host: string, answer: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      // A client that resets before reading is its own business.
      socket.on('error', () => socket.destroy());
      socket.end(answer);
    });
    server.once('error', reject);
    server.listen({ port, host, ipv6Only: false }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function bindUdp(port: number, type: 'udp4' | 'udp6', address: string, answer: Buffer): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    // reuseAddr lets the per-address sockets share the port with the wildcard one.
    const socket = createSocket({ type, reuseAddr: true, ...(type === 'udp6' ? { ipv6Only: address !== '::' } : {}) });
    socket.on('message', (_msg, from) => socket.send(answer, from.port, from.address));
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.off('error', reject);
      // Later errors (an ICMP error for a reply) must not end the server.
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}

/** The namespace's addresses at start (IPv6 link-local ones need a scope and are left out). */
function localAddresses(withIPv6: boolean): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && (a.family === 'IPv4' || (withIPv6 && !a.address.toLowerCase().startsWith('fe80'))))
    .map((a) => a!.address);
}

async function bind(port: PodPort, answer: string): Promise<Bound> {
  const attempt = async (v6: boolean): Promise<Bound> => {
    const address = v6 ? '::' : '0.0.0.0';
    if (port.protocol === 'TCP') {
      const server = await listenTcp(port.port, address, answer);
      return { port, address, close: () => server.close() };
    }
    const reply = Buffer.from(answer);
    const sockets = [await bindUdp(port.port, v6 ? 'udp6' : 'udp4', address, reply)];
    // A reply from a wildcard socket leaves from whatever address the route back
    // prefers, which on a host with several (a hostNetwork pod on a node: eth0,
    // kube-bridge, ...) is often not the one asked, and the client drops it. Node has
    // no IP_PKTINFO, so each current address gets its own socket, which the kernel
    // prefers for datagrams to that address; the wildcard one serves the rest.
    for (const local of localAddresses(v6)) {
      try {
        sockets.push(await bindUdp(port.port, local.includes(':') ? 'udp6' : 'udp4', local, reply));
      } catch (err) {
        process.stderr.write(`pod-server: ${port.port}/UDP on ${local}: ${(err as Error).message}; served by the wildcard socket\n`);
      }
    }
    return { port, address, close: () => sockets.forEach((s) => s.close()) };
  };
  try {
    return await attempt(true);
  } catch (err) {
    if (NO_IPV6.has((err as NodeJS.ErrnoException).code ?? '')) return attempt(false);
    throw err;
  }
}

function fail(code: number, message: string): never {
  process.stderr.write(`pod-server: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let name: string;
  let ports: PodPort[];
  try {
    const { values } = parseArgs({ options: { name: { type: 'string' }, ports: { type: 'string' } }, strict: true });
    if (!values.name || !/^[^/\s]+\/[^/\s]+$/.test(values.name)) throw new Error('--name NAMESPACE/NAME is required');
    name = values.name;
    ports = parsePortList(values.ports ?? '');
  } catch (err) {
    fail(2, `${(err as Error).message}\nusage: server.js --name NS/NAME --ports 8080/TCP,5353/UDP`);
  }
  const answer = `${name}\n`;
  const bound: Bound[] = [];
  for (const port of ports) {
    try {
      bound.push(await bind(port, answer));
    } catch (err) {
      fail(1, `cannot bind ${port.port}/${port.protocol}: ${(err as Error).message}`);
    }
  }
  process.once('SIGTERM', () => {
    for (const b of bound) b.close();
    process.exit(0);
  });
  process.stdout.write(`${JSON.stringify({ ready: true, name, ports: bound.map((b) => ({ ...b.port, address: b.address })) })}\n`);
}

await main();
