// End to end: interop with another BGP implementation, one sandbox per stack. BIRD 2
// (Debian's bird2) runs in the sandbox's external host ext1, on the fabric next to the
// nodes, as the upstream router of kube-router's --peer-router-ips/--peer-router-asns:
// every node peers with each of ext1's addresses, and each session carries every enabled
// family (MP-BGP), so BIRD has one eBGP protocol per node address. The nodes run with
// --advertise-cluster-ip.
//
// Checked on BIRD's side (`birdc show route all`): each node's pod CIDRs of both
// families over every session, with a next hop of the prefix's own family (the node's
// IPv6 address for IPv6 prefixes also over an IPv4 session, never a mapped ::ffff:
// address), and ClusterIPs (/32 and /128) while the service exists.
// Checked on the nodes' side (kernel, protocol 17): BIRD's prefixes are installed as
// kube-router's import policy says: accepted and routed directly via ext1 (it is on the
// node's subnet), default routes rejected, and a node's
// kube-router.io/node.bgp.customimportreject (CIDRs of both families; on a single-stack
// cluster the other family's CIDR is reported as bad input and the rest applies) keeps
// them out of that node only.
//
// Test IP plan (the sandbox's defaults, one fabric subnet; each stack has its families'):
//   node1..3  198.18.0.11-13   fd42:198:18::11-13   ASN 64512 (--cluster-asn default)
//   ext1      198.18.0.201     fd42:198:18::201     ASN 64999, BIRD
//   pods 10.244.0.0/16, fd00:10:244::/56; services 10.96.0.0/16, fd00:10:96::/112
//   BIRD's own: 203.0.113.0/24, 2001:db8:99::/48 (documentation ranges, only inside the
//   sandbox's namespaces) and the default routes 0.0.0.0/0, ::/0
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { familyOf, parseCIDR } from '@kr/ip';
import { SimulatorClient } from './api.js';
import type { SandboxFamily } from './node/index.js';
import { planAddresses } from './plan.js';
import { readClusterConfig, sandboxPaths } from './state.js';
import type { NodeStatus, SandboxStatus } from './status.js';
import { birdConfig, birdPaths, parseBirdProtocols, parseBirdRoutes, type BirdRoute } from './testing/bird.js';
import { REPO, sandboxCli, sandboxOk } from './testing/cli.js';
import { eventually } from './testing/eventually.js';
import { hostKernelState, netnsKernelState } from './testing/kernel.js';
import { useSandboxSession } from './testing/session.js';

const STACKS = ['ipv4', 'ipv6', 'dual', 'dual-v6'] as const;
const CLUSTER_ASN = 64512;
const BIRD_ASN = 64999;
const EXT = 'ext1';
const BIRD_PREFIXES: Record<SandboxFamily, string> = { ipv4: '203.0.113.0/24', ipv6: '2001:db8:99::/48' };
const DEFAULT_ROUTES: Record<SandboxFamily, string> = { ipv4: '0.0.0.0/0', ipv6: '::/0' };
const CONVERGE_MS = 30_000;

/** A router id is 32 bits, whatever the stack: ext1's IPv4 address when it has one. */
const BIRD_ROUTER_ID = '198.18.0.201';

// Skipped only when bird is not installed; any other trouble running it fails the tests.
const birdVersion = spawnSync('bird', ['--version'], { encoding: 'utf8', timeout: 10_000 });
const BIRD_INSTALLED = (birdVersion.error as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT';

const canonical = (cidr: string) => parseCIDR(cidr).toString();
/** BIRD's protocol for a node's session from its address of `session` family. */
const protocolOf = (node: string, session: SandboxFamily) => `${node}_${session === 'ipv4' ? 'v4' : 'v6'}`;

/** A ClusterIP service with an address of every family of the cluster. */
function serviceManifest(families: readonly SandboxFamily[]): string {
  return `apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  ipFamilyPolicy: ${families.length === 2 ? 'RequireDualStack' : 'SingleStack'}
  ipFamilies: [${families.map((f) => (f === 'ipv4' ? 'IPv4' : 'IPv6')).join(', ')}]
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080, protocol: TCP}]`;
}

const REJECT_ANNOTATION = `apiVersion: v1
kind: Node
metadata:
  name: node1
  annotations:
    kube-router.io/node.bgp.customimportreject: "${BIRD_PREFIXES.ipv4}, ${BIRD_PREFIXES.ipv6}"`;

useSandboxSession('test/src/sandbox/bird.test.ts', { enabled: BIRD_INSTALLED });

(BIRD_INSTALLED ? describe : describe.skip).each(STACKS)(`kr-router and BIRD 2 as an external eBGP peer, %s${BIRD_INSTALLED ? '' : ' (skipped: BIRD 2, the Debian package bird2, is not installed)'}`, (stack) => {
  const plan = planAddresses({ nodes: 3, stack, subnets: 1, externals: 1 });
  const FAMILIES = plan.families;
  const EXT_ADDRESSES = plan.externals[0]!.addresses as Record<SandboxFamily, string>;
  let nodes: NodeStatus[];
  let dir: string;
  let birdc: (...args: string[]) => Promise<string>;

  beforeAll(async () => {
    expect(`${birdVersion.stdout}${birdVersion.stderr}`).toMatch(/BIRD version 2\./);
    await sandboxOk(
      [
        'up', '--nodes', '3', '--stack', stack, '--externals', '1', '--json',
        '--flags', `router:--peer-router-ips=${FAMILIES.map((f) => EXT_ADDRESSES[f]).join(',')}`,
        '--flags', `router:--peer-router-asns=${FAMILIES.map(() => BIRD_ASN).join(',')}`,
        '--flags', 'router:--advertise-cluster-ip=true',
        '--flags', `router:--service-cluster-ip-range=${plan.serviceCidrs.join(',')}`,
      ],
      { timeoutMs: 90_000 },
    );
    await sandboxOk(['wait', '--timeout', '90s'], { timeoutMs: 120_000 });
    nodes = (JSON.parse((await sandboxOk(['status', '--json'])).stdout) as SandboxStatus).nodes.slice();

    dir = await mkdtemp(join(tmpdir(), 'kr-bird-'));
    const paths = birdPaths(dir);
    await writeFile(
      paths.config,
      birdConfig({
        dir,
        routerId: BIRD_ROUTER_ID,
        asn: BIRD_ASN,
        peers: nodes.flatMap((n) => FAMILIES.map((f) => ({ name: protocolOf(n.name, f), address: n.addresses[f]!, asn: CLUSTER_ASN }))),
        families: Object.fromEntries(FAMILIES.map((f) => [f, { nextHop: EXT_ADDRESSES[f], statics: [BIRD_PREFIXES[f], DEFAULT_ROUTES[f]] }])),
      }),
    );
    // bird daemonizes inside ext1's namespace (`down` would kill it too).
    await sandboxOk(['exec', EXT, '--', 'bird', '-c', paths.config, '-s', paths.socket, '-P', paths.pid]);
    birdc = async (...args) => (await sandboxOk(['exec', EXT, '--', 'birdc', '-s', paths.socket, ...args])).stdout;
  }, 300_000);

  afterAll(async () => {
    if (dir) {
      const pid = Number(await readFile(birdPaths(dir).pid, 'utf8').catch(() => '0'));
      if (pid > 0) process.kill(pid, 'SIGTERM');
    }
    // Also when a test failed or `up` broke half-way.
    await sandboxCli(['down'], { timeoutMs: 60_000 });
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 90_000);

  const birdRoutes = async () => parseBirdRoutes(await birdc('show', 'route', 'all'));

  /** `prefix next-hops as-path` of the routes BIRD has from each node session, for the given prefixes. */
  function fromSessions(routes: readonly BirdRoute[], prefixesOf: (node: NodeStatus) => readonly string[]): Record<string, string[]> {
    return Object.fromEntries(
      nodes.flatMap((n) =>
        FAMILIES.map((session) => {
          const wanted = new Set(prefixesOf(n).map(canonical));
          const got = routes.filter((r) => r.protocol === protocolOf(n.name, session) && wanted.has(canonical(r.prefix)));
          return [protocolOf(n.name, session), got.map((r) => `${canonical(r.prefix)} via ${r.nextHops.join(',')} as-path ${r.asPath.join(' ')}`).sort()];
        }),
      ),
    );
  }

  /** What BIRD should have: every prefix over every session of its node, next hop of the prefix's family. */
  function expectedFromSessions(prefixesOf: (node: NodeStatus) => readonly string[]): Record<string, string[]> {
    return Object.fromEntries(
      nodes.flatMap((n) =>
        FAMILIES.map((session) => [
          protocolOf(n.name, session),
          prefixesOf(n)
            .map((p) => `${canonical(p)} via ${n.addresses[familyOf(p)]} as-path ${CLUSTER_ASN}`)
            .sort(),
        ]),
      ),
    );
  }

  it('has an Established eBGP session with every node from each of its addresses', async () => {
    const names = nodes.flatMap((n) => FAMILIES.map((f) => protocolOf(n.name, f)));
    const states = await eventually(
      async () => parseBirdProtocols(await birdc('show', 'protocols')),
      (p) => names.every((n) => p.get(n) === 'Established'),
      CONVERGE_MS,
      500,
    );
    expect(Object.fromEntries(names.map((n) => [n, states.get(n)]))).toEqual(Object.fromEntries(names.map((n) => [n, 'Established'])));
  }, 60_000);

  it("receives each node's pod CIDRs of both families over every session, with next hops of the prefix's own family", async () => {
    const podCidrs = (n: NodeStatus) => n.podCIDRs;
    const want = expectedFromSessions(podCidrs);
    const routes = await eventually(birdRoutes, (r) => JSON.stringify(fromSessions(r, podCidrs)) === JSON.stringify(want), CONVERGE_MS, 500);
    expect(fromSessions(routes, podCidrs)).toEqual(want);
    // Spelled out for the IPv6 prefixes over the IPv4 sessions: the node's IPv6 address.
    if (FAMILIES.length === 2) for (const n of nodes) {
      const v6 = routes.find((r) => r.protocol === protocolOf(n.name, 'ipv4') && familyOf(r.prefix) === 'ipv6' && n.podCIDRs.map(canonical).includes(canonical(r.prefix)));
      expect(v6?.nextHops[0]).toBe(n.addresses.ipv6);
      expect(v6?.nextHops.some((h) => h.startsWith('::ffff:'))).toBe(false);
    }
  }, 60_000);

  it('receives the ClusterIPs of a service (/32, /128) from every node while it exists', async () => {
    const SERVICE = serviceManifest(FAMILIES);
    await sandboxOk(['apply', '-f', '-'], { input: SERVICE });
    const api = new SimulatorClient((await readClusterConfig(sandboxPaths(REPO))).api.url);
    const service = await api.get<{ spec: { clusterIPs: string[] } }>('/api/v1/namespaces/default/services/web');
    const vips = service.spec.clusterIPs.map((ip) => `${ip}/${familyOf(ip) === 'ipv4' ? 32 : 128}`);
    expect(vips.map((v) => familyOf(v))).toEqual(FAMILIES);
    const want = expectedFromSessions(() => vips);
    const routes = await eventually(birdRoutes, (r) => JSON.stringify(fromSessions(r, () => vips)) === JSON.stringify(want), CONVERGE_MS, 500);
    expect(fromSessions(routes, () => vips)).toEqual(want);

    await sandboxOk(['delete', '-f', '-'], { input: SERVICE });
    const none = Object.fromEntries(Object.keys(want).map((k) => [k, [] as string[]]));
    const after = await eventually(birdRoutes, (r) => JSON.stringify(fromSessions(r, () => vips)) === JSON.stringify(none), CONVERGE_MS, 500);
    expect(fromSessions(after, () => vips)).toEqual(none);
  }, 90_000);

  /** BIRD's prefixes (and default routes) as installed by the router on a node, `prefix via gateway`. */
  async function birdRoutesOn(node: string, via: 'netns' | 'cli' = 'netns'): Promise<string[]> {
    const state = via === 'cli' ? await hostKernelState(node) : await netnsKernelState(`krsbx-${node}`);
    const ours = new Set([...Object.values(BIRD_PREFIXES), ...Object.values(DEFAULT_ROUTES)].map(canonical));
    return state.routes.filter((r) => ours.has(canonical(r.dst))).map((r) => `${canonical(r.dst)} via ${r.gateway} dev ${r.dev}`).sort();
  }

  const accepted = FAMILIES.map((f) => `${canonical(BIRD_PREFIXES[f])} via ${EXT_ADDRESSES[f]} dev eth0`).sort();

  /** The prefixes in a node's GoBGP RIB (what its import policy let in), per family. */
  async function ribPrefixes(node: string): Promise<string[]> {
    const lists = await Promise.all(
      FAMILIES.map(async (f) => Object.keys(JSON.parse((await sandboxOk(['exec', node, '--', 'gobgp', 'global', 'rib', '-a', f, '-j'])).stdout || '{}') as object)),
    );
    return lists.flat().map(canonical);
  }

  it("installs BIRD's prefixes on every node directly via ext1, and rejects its default routes (kube-router's import policy)", async () => {
    // BIRD does offer its default routes (to node1's sessions, on every channel).
    await eventually(async () => parseBirdProtocols(await birdc('show', 'protocols')), (p) => FAMILIES.every((f) => p.get(protocolOf('node1', f)) === 'Established'), CONVERGE_MS, 500);
    for (const session of FAMILIES) {
      for (const channel of FAMILIES) {
        const exported = parseBirdRoutes(await birdc('show', 'route', 'export', `${protocolOf('node1', session)}.${channel}`)).map((r) => canonical(r.prefix));
        expect(exported.sort()).toEqual([BIRD_PREFIXES[channel], DEFAULT_ROUTES[channel]].map(canonical).sort());
      }
    }
    for (const n of nodes) {
      await eventually(() => birdRoutesOn(n.name), (r) => r.join() === accepted.join(), CONVERGE_MS);
      expect({ node: n.name, routes: await birdRoutesOn(n.name, 'cli') }).toEqual({ node: n.name, routes: accepted });
      // Rejected on import, not merely left out of the kernel (where the fabric's default route sits).
      const rib = await ribPrefixes(n.name);
      expect(rib).toEqual(expect.arrayContaining(FAMILIES.map((f) => canonical(BIRD_PREFIXES[f]))));
      expect(rib.filter((p) => FAMILIES.some((f) => p === canonical(DEFAULT_ROUTES[f])))).toEqual([]);
    }
  }, 90_000);

  it('keeps the prefixes of a customimportreject annotation (both families) out of that node only, and takes them back when it goes', async () => {
    await sandboxOk(['apply', '-f', '-'], { input: REJECT_ANNOTATION });
    const rejected = await eventually(() => birdRoutesOn('node1'), (r) => r.length === 0, CONVERGE_MS);
    expect(rejected).toEqual([]);
    for (const n of nodes.filter((x) => x.name !== 'node1')) expect({ node: n.name, routes: await birdRoutesOn(n.name) }).toEqual({ node: n.name, routes: accepted });

    await sandboxOk(['delete', '-f', '-'], { input: REJECT_ANNOTATION });
    const back = await eventually(() => birdRoutesOn('node1'), (r) => r.join() === accepted.join(), CONVERGE_MS);
    expect(back).toEqual(accepted);
  }, 90_000);
});
