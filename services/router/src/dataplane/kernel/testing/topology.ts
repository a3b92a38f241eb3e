// Two "nodes" for kernel tests, each a network namespace with a "pod" namespace behind
// it, on different subnets joined by a third "router" namespace. Everything is created
// inside throwaway namespaces (veth pairs are created from inside one namespace with
// their peer moved straight into another): nothing is added to the root namespace.
//
//   pod A ──pod0── node A ──eth0── router ──eth0── node B ──pod0── pod B
//
// IP plan (index i = 1 for A, 2 for B):
//   node i  eth0 198.18.i.10/24  2001:db8:i::10/64   gateway .1 / ::1 (the router)
//           pod0 10.244.i.1/24   fd00:10:244:i::1/64 (the pods' gateway)
//   pod i   eth0 10.244.i.2/24   fd00:10:244:i::2/64
//   router  r-a 198.18.1.1/24 2001:db8:1::1/64, r-b 198.18.2.1/24 2001:db8:2::1/64
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { IpExecutor, SysctlExecutor } from '@kr/dataplane';
import { createTestNetns, type TestNetns } from '@kr/dataplane/testing';
import { parseCIDR, parseIP, type Cidr, type Family, type IPAddress } from '@kr/ip';

export interface TestNode {
  readonly index: 1 | 2;
  readonly netns: string;
  readonly podNetns: string;
  readonly address: Readonly<Record<Family, IPAddress>>;
  readonly podCidr: Readonly<Record<Family, Cidr>>;
  readonly podAddress: Readonly<Record<Family, IPAddress>>;
}

export interface TwoNodes {
  readonly a: TestNode;
  readonly b: TestNode;
  readonly router: string;
  /** Addresses of the router (outside the cluster), on node A's side. */
  readonly outside: Readonly<Record<Family, IPAddress>>;
  /** Let the router reach the pod CIDRs directly (as a BGP fabric would), without tunnels. */
  routePodsOnRouter(): Promise<void>;
  delete(): Promise<void>;
}

function node(index: 1 | 2, netns: string, podNetns: string): TestNode {
  return {
    index,
    netns,
    podNetns,
    address: { ipv4: parseIP(`198.18.${index}.10`), ipv6: parseIP(`2001:db8:${index}::10`) },
    podCidr: { ipv4: parseCIDR(`10.244.${index}.0/24`), ipv6: parseCIDR(`fd00:10:244:${index}::/64`) },
    podAddress: { ipv4: parseIP(`10.244.${index}.2`), ipv6: parseIP(`fd00:10:244:${index}::2`) },
  };
}

async function forwarding(netns: string): Promise<void> {
  const sysctl = new SysctlExecutor({ netns });
  await sysctl.set('net.ipv4.ip_forward', 1);
  await sysctl.set('net.ipv6.conf.all.forwarding', 1);
}

export async function createTwoNodes(): Promise<TwoNodes> {
  const created: TestNetns[] = [];
  const make = async () => {
    const ns = await createTestNetns();
    created.push(ns);
    // No duplicate address detection on the links created from here on (link-local
    // addresses included): IPv6 is usable at once, without a first lost SYN.
    const sysctl = new SysctlExecutor({ netns: ns.name });
    await sysctl.set('net.ipv6.conf.default.accept_dad', 0);
    await sysctl.set('net.ipv6.conf.all.accept_dad', 0);
    return ns.name;
  };
  const remove = async () => {
    const errors: unknown[] = [];
    for (const ns of created.reverse()) await ns.delete().catch((err: unknown) => errors.push(err));
    if (errors.length > 0) throw errors[0];
  };
  try {
    const router = await make();
    const a = node(1, await make(), await make());
    const b = node(2, await make(), await make());
    const routerIp = new IpExecutor({ netns: router });
    for (const n of [a, b]) {
      const side = n.index === 1 ? 'r-a' : 'r-b';
      const i = n.index;
      const nodeIp = new IpExecutor({ netns: n.netns });
      await nodeIp.batch([
        `link add eth0 type veth peer name ${side} netns ${router}`,
        `link add pod0 type veth peer name eth0 netns ${n.podNetns}`,
        `address add 198.18.${i}.10/24 dev eth0`,
        `address add 2001:db8:${i}::10/64 dev eth0 nodad`,
        `address add 10.244.${i}.1/24 dev pod0`,
        `address add fd00:10:244:${i}::1/64 dev pod0 nodad`,
        'link set eth0 up',
        'link set pod0 up',
        `route add default via 198.18.${i}.1`,
        `route add default via 2001:db8:${i}::1`,
      ]);
      await routerIp.batch([`address add 198.18.${i}.1/24 dev ${side}`, `address add 2001:db8:${i}::1/64 dev ${side} nodad`, `link set ${side} up`]);
      await new IpExecutor({ netns: n.podNetns }).batch([
        `address add 10.244.${i}.2/24 dev eth0`,
        `address add fd00:10:244:${i}::2/64 dev eth0 nodad`,
        'link set eth0 up',
        `route add default via 10.244.${i}.1`,
        `route add default via fd00:10:244:${i}::1`,
      ]);
      await forwarding(n.netns);
    }
    await forwarding(router);
    return {
      a,
      b,
      router,
      outside: { ipv4: parseIP('198.18.1.1'), ipv6: parseIP('2001:db8:1::1') },
      async routePodsOnRouter() {
        await routerIp.batch(
          [a, b].flatMap((n) => [`route replace ${n.podCidr.ipv4} via ${n.address.ipv4}`, `route replace ${n.podCidr.ipv6} via ${n.address.ipv6}`]),
        );
      },
      delete: remove,
    };
  } catch (err) {
    await remove().catch(() => undefined);
    throw err;
  }
}

/** Transmitted packets of a link, to prove traffic took it. */
export async function txPackets(netns: string, dev: string): Promise<number> {
  // `ip netns exec` mounts the namespace's own /sys.
  const out = await run(['ip', 'netns', 'exec', netns, 'cat', `/sys/class/net/${dev}/statistics/tx_packets`]);
  return Number(out.trim());
}

function run(argv: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${argv.join(' ')} exited ${code}: ${err.trim()}`))));
  });
}

// A TCP server that answers every connection with the peer address it saw, and closes.
const SERVER = `
const { createServer } = require('node:net');
const server = createServer((c) => c.end(c.remoteAddress.replace(/^::ffff:/, '') + '\\n'));
server.listen(Number(process.argv[1]), '::', () => process.stdout.write('ready\\n'));
`;

// Connects, prints what the server said; exits 1 on error or after the timeout.
const CLIENT = `
const { connect } = require('node:net');
const socket = connect({ host: process.argv[1], port: Number(process.argv[2]), timeout: Number(process.argv[3]) });
let data = '';
socket.on('data', (d) => (data += d));
socket.on('end', () => { process.stdout.write(data); process.exit(0); });
socket.on('timeout', () => { process.stderr.write('timeout'); process.exit(1); });
socket.on('error', (e) => { process.stderr.write(e.message); process.exit(1); });
`;

export const ECHO_PORT = 7000;

export interface SourceServer {
  close(): Promise<void>;
}

/** Starts the "who are you" server in a namespace (on every address, both families). */
export async function startSourceServer(netns: string, port = ECHO_PORT): Promise<SourceServer> {
  const child: ChildProcess = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', SERVER, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`server in ${netns} did not start: ${output}`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server in ${netns} exited ${code}: ${output}`));
    });
  });
  return {
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Connects from `netns` to `host` and returns the source address the server saw; rejects when it cannot. */
export async function sourceSeenBy(netns: string, host: IPAddress, options: { port?: number; timeoutMs?: number } = {}): Promise<string> {
  const argv = [host.address, String(options.port ?? ECHO_PORT), String(options.timeoutMs ?? 3000)];
  return (await run(['ip', 'netns', 'exec', netns, process.execPath, '-e', CLIENT, ...argv])).trim();
}
