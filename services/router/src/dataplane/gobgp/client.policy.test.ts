// Defined sets, policies and global assignments against real gobgpd, changed on a live
// session (soft reset), with dual-stack prefix sets kube-router cannot express.
//
// Test IP plan (see testing/bgp-lab.ts), eBGP a 64512 ↔ b 64513 over IPv4:
//   a advertises pods 10.244.1.0/24 via 198.18.0.1, fd00:10:244:1::/64 via fd42:198:18::1
//            and VIPs 10.96.0.10/32 via 198.18.0.1,  fd00:96::10/128 via fd42:198:18::1
//   a exports pods to b with communities 64512:100 64512:200 and AS-path prepend 64512 ×2
//   b's import policy rejects prefixes per row (one dual-stack prefix set each)
import { credentials, Metadata } from '@grpc/grpc-js';
import { parseCIDR, type Cidr } from '@kr/ip';
import { gobgp } from '@kr/proto/gobgp';
import { ROOT_REQUIRED, isRoot } from '@kr/dataplane/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import type { DefinedSetSpec, ObservedPath, PathSpec, PeerSpec, PolicyAssignmentSpec, PolicySpec } from '../../model/bgp-types.js';
import { GobgpClient } from './client.js';
import { definedSetEquals } from './defined-sets.js';
import { assignmentEquals, policyEquals } from './policies.js';
import { createBgpLab, waitFor, type BgpLab, type BgpSpeaker } from './testing/index.js';

const POD_V4 = parseCIDR('10.244.1.0/24');
const POD_V6 = parseCIDR('fd00:10:244:1::/64');
const VIP_V4 = parseCIDR('10.96.0.10/32');
const VIP_V6 = parseCIDR('fd00:96::10/128');
const ALL = [POD_V4, POD_V6, VIP_V4, VIP_V6];

const entry = (cidr: string, maskLengthMin: number, maskLengthMax: number) => ({ cidr: parseCIDR(cidr), maskLengthMin, maskLengthMax });

function peerSpec(self: BgpSpeaker, other: BgpSpeaker, asn: number): PeerSpec {
  return {
    address: other.ipv4,
    asn,
    port: 179,
    localAddress: self.ipv4,
    families: ['ipv4', 'ipv6'],
    holdTimeSeconds: 9,
    keepaliveSeconds: 3,
    // A failed first dial (the other side not listening yet) retries in 5 s, not 120.
    connectRetrySeconds: 5,
    source: 'global',
  };
}

// a's export: an empty neighbour set must match nobody (GoBGP alone would match
// everybody), and pods towards b get communities and a prepend.
const exportSets: DefinedSetSpec[] = [
  { kind: 'neighbor', name: 'nobody', neighbors: [] },
  { kind: 'neighbor', name: 'externalpeerset', neighbors: [parseCIDR('198.18.0.2/32'), parseCIDR('fd42:198:18::2/128')] },
  { kind: 'prefix', name: 'podcidrdefinedset', prefixes: [entry('10.244.1.0/24', 24, 24), entry('fd00:10:244:1::/64', 64, 64)] },
];
const exportPolicy: PolicySpec = {
  name: 'kube_router_export',
  statements: [
    { name: 'nobody', conditions: { neighborSet: { name: 'nobody', match: 'any' } }, actions: { result: 'reject' } },
    {
      name: 'pods-to-external',
      conditions: { prefixSet: { name: 'podcidrdefinedset', match: 'any' }, neighborSet: { name: 'externalpeerset', match: 'any' } },
      actions: { result: 'accept', addCommunities: ['64512:200', '64512:100'], asPathPrepend: { asn: 64512, repeat: 2 } },
    },
  ],
};
const exportAssignment: PolicyAssignmentSpec = { direction: 'export', policies: ['kube_router_export'], defaultAction: 'accept' };

interface ImportRow {
  readonly name: string;
  readonly set: DefinedSetSpec;
  readonly match: 'any' | 'invert';
  /** What b keeps in its RIB. */
  readonly kept: readonly Cidr[];
}

const importRows: ImportRow[] = [
  {
    name: 'reject prefixes in a dual-stack set',
    set: { kind: 'prefix', name: 'customimportreject', prefixes: [entry('10.96.0.0/16', 16, 32), entry('fd00:96::/112', 112, 128)] },
    match: 'any',
    kept: [POD_V4, POD_V6],
  },
  {
    name: 'reject prefixes not in a dual-stack allow-list',
    set: { kind: 'prefix', name: 'customimportreject', prefixes: [entry('10.244.0.0/16', 16, 32), entry('fd00:10:244::/48', 48, 128)] },
    match: 'invert',
    kept: [POD_V4, POD_V6],
  },
  {
    name: 'an allow-list without IPv6 rejects all of IPv6',
    set: { kind: 'prefix', name: 'customimportreject', prefixes: [entry('10.244.0.0/16', 16, 32)] },
    match: 'invert',
    kept: [POD_V4],
  },
  {
    name: 'an empty reject set rejects nothing',
    set: { kind: 'prefix', name: 'customimportreject', prefixes: [] },
    match: 'any',
    kept: ALL,
  },
];

function importPolicy(match: 'any' | 'invert'): PolicySpec {
  return {
    name: 'kube_router_import',
    statements: [{ name: 'customimportreject', conditions: { prefixSet: { name: 'customimportreject', match } }, actions: { result: 'reject' } }],
  };
}
const importAssignment: PolicyAssignmentSpec = { direction: 'import', policies: ['kube_router_import'], defaultAction: 'accept' };

async function ribOf(client: GobgpClient): Promise<ObservedPath[]> {
  return [...(await client.listPaths('ipv4', { table: 'global' })), ...(await client.listPaths('ipv6', { table: 'global' }))];
}
/** Every statement GoBGP holds, referenced by a policy or not. */
async function statementNames(target: string): Promise<string[]> {
  const raw = new gobgp.GobgpApiClient(target, credentials.createInsecure());
  try {
    const names: string[] = [];
    const call = raw.listStatement({ name: '' }, new Metadata(), { deadline: Date.now() + 5000 });
    call.on('data', (r: gobgp.ListStatementResponse) => names.push(r.statement?.name ?? ''));
    await new Promise<void>((resolve, reject) => {
      call.on('error', reject);
      call.on('end', resolve);
    });
    return names.sort();
  } finally {
    raw.close();
  }
}

const prefixes = (paths: readonly ObservedPath[]) => paths.map((p) => p.prefix.toString()).sort();

describe.skipIf(!isRoot())(`GobgpClient policies against real gobgpd${ROOT_REQUIRED}`, () => {
  let lab: BgpLab;
  let a: GobgpClient;
  let b: GobgpClient;

  // A failed test prints what both gobgpd logged.
  beforeEach(() => onTestFailed(() => console.error(lab?.diagnostics())));

  beforeAll(async () => {
    lab = await createBgpLab();
    a = new GobgpClient({ target: lab.a.target });
    b = new GobgpClient({ target: lab.b.target });
    await a.startBgp({ asn: 64512, routerId: lab.a.ipv4.address, listenPort: 179, listenAddresses: [lab.a.ipv4.address] });
    await b.startBgp({ asn: 64513, routerId: lab.b.ipv4.address, listenPort: 179, listenAddresses: [lab.b.ipv4.address] });
    await a.addPeer(peerSpec(lab.a, lab.b, 64513));
    await b.addPeer(peerSpec(lab.b, lab.a, 64512));
    const paths: PathSpec[] = [
      { prefix: POD_V4, nextHop: lab.a.ipv4, kind: 'pod-cidr' },
      { prefix: POD_V6, nextHop: lab.a.ipv6, kind: 'pod-cidr' },
      { prefix: VIP_V4, nextHop: lab.a.ipv4, kind: 'cluster-ip' },
      { prefix: VIP_V6, nextHop: lab.a.ipv6, kind: 'cluster-ip' },
    ];
    for (const p of paths) await a.addPath(p);
    // Without policies b gets everything.
    await waitFor('all routes on b', async () => ((await ribOf(b)).length === ALL.length ? true : undefined));
  }, 120_000);

  afterAll(async () => {
    a?.close();
    b?.close();
    await lab?.close();
  });

  it('export policy on a: communities and AS-path prepend on pod routes, empty neighbour sets match nobody', async () => {
    // A fresh gobgpd accepts by default in both directions.
    expect(await a.listPolicyAssignments()).toEqual([
      { direction: 'import', policies: [], defaultAction: 'accept' },
      { direction: 'export', policies: [], defaultAction: 'accept' },
    ]);
    for (const set of exportSets) expect(await a.replaceDefinedSet(set)).toBe(true);
    expect(await a.replacePolicy(exportPolicy)).toBe(true);
    await a.setPolicyAssignment(exportAssignment);
    await a.softResetPeers('out');

    const rib = await waitFor('exported attributes on b', async () => {
      // The IPv4 and IPv6 updates travel in separate UPDATE messages: wait for both.
      const paths = await ribOf(b);
      const pods = paths.filter((p) => p.prefix.equals(POD_V4) || p.prefix.equals(POD_V6));
      return pods.length === 2 && pods.every((p) => p.communities.length > 0) ? paths : undefined;
    });
    expect(prefixes(rib)).toEqual(prefixes(ALL.map((prefix) => ({ prefix }) as ObservedPath)));
    for (const path of rib) {
      const pod = path.prefix.equals(POD_V4) || path.prefix.equals(POD_V6);
      expect({ prefix: path.prefix.toString(), communities: path.communities, asPath: path.asPath }).toEqual({
        prefix: path.prefix.toString(),
        communities: pod ? ['64512:100', '64512:200'] : [],
        asPath: pod ? [64512, 64512, 64512] : [64512],
      });
      expect(path.nextHop.family).toBe(path.prefix.family);
    }

    // Applying the same desired state again changes nothing, and what GoBGP lists back
    // compares equal to what we asked for.
    for (const set of exportSets) expect(await a.replaceDefinedSet(set)).toBe(false);
    expect(await a.replacePolicy(exportPolicy)).toBe(false);
    const sets = await a.listDefinedSets();
    for (const set of exportSets) expect(sets.some((s) => definedSetEquals(set, s)), set.name).toBe(true);
    const [policy] = await a.listPolicies();
    expect(policy && policyEquals(exportPolicy, policy)).toBe(true);
    const assignments = await a.listPolicyAssignments();
    expect(assignments.some((x) => assignmentEquals(exportAssignment, x))).toBe(true);
  }, 120_000);

  it('next-hop-self (--override-nexthop) over an IPv4 session gives IPv6 routes an IPv4-mapped next hop', async () => {
    const selfPolicy: PolicySpec = {
      ...exportPolicy,
      statements: exportPolicy.statements.map((st) => ({ ...st, actions: { ...st.actions, nextHop: 'self' as const } })),
    };
    expect(await a.replacePolicy(selfPolicy)).toBe(true);
    await a.softResetPeers('out');
    const rib = await waitFor('next-hop-self on b', async () => {
      const paths = await ribOf(b);
      return paths.find((p) => p.prefix.equals(POD_V6))?.nextHop.address.startsWith('::ffff:') ? paths : undefined;
    });
    // The reason kube-router never applies it to pod CIDRs between nodes.
    expect(rib.find((p) => p.prefix.equals(POD_V6))?.nextHop.address).toBe(`::ffff:${lab.a.ipv4.address}`);
    expect(rib.find((p) => p.prefix.equals(POD_V4))?.nextHop.address).toBe(lab.a.ipv4.address);

    expect(await a.replacePolicy(exportPolicy)).toBe(true);
    await a.softResetPeers('out');
    await waitFor('own next hops again on b', async () =>
      (await ribOf(b)).find((p) => p.prefix.equals(POD_V6))?.nextHop.equals(lab.a.ipv6) ? true : undefined,
    );
  }, 120_000);

  it.each(importRows)('import policy on b: $name', async (row) => {
    await b.replaceDefinedSet(row.set);
    await b.replacePolicy(importPolicy(row.match));
    await b.setPolicyAssignment(importAssignment);
    await b.softResetPeers('in');

    await waitFor(`b keeps ${row.kept.join(' ')}`, async () => {
      const kept = prefixes(await ribOf(b));
      return kept.join() === prefixes(row.kept.map((prefix) => ({ prefix }) as ObservedPath)).join() ? true : undefined;
    });
    // The Adj-RIB-In still has everything a sent, the rejected paths marked filtered.
    const adjIn = [...(await b.listPaths('ipv4', { table: 'adj-in', peer: lab.a.ipv4 })), ...(await b.listPaths('ipv6', { table: 'adj-in', peer: lab.a.ipv4 }))];
    expect(prefixes(adjIn.filter((p) => !p.filtered))).toEqual(prefixes(row.kept.map((prefix) => ({ prefix }) as ObservedPath)));
    expect(adjIn).toHaveLength(ALL.length);

    // Read back equal, and a second apply is a no-op.
    const listed = (await b.listDefinedSets('prefix')).find((s) => s.name === row.set.name);
    expect(listed && definedSetEquals(row.set, listed)).toBe(true);
    expect(await b.replaceDefinedSet(row.set)).toBe(false);
    expect(await b.replacePolicy(importPolicy(row.match))).toBe(false);
  }, 120_000);

  it('replacing a policy leaves no stale statements and deleting everything converges to nothing', async () => {
    const policies = await b.listPolicies();
    expect(policies.map((p) => p.statements.map((s) => s.name))).toEqual([['customimportreject']]);
    // One generation per change of the policy (the first row created it), each
    // statement split per family; the replaced generations are gone.
    const generation = importRows.filter((r, i) => i === 0 || r.match !== importRows[i - 1]!.match).length;
    expect(await statementNames(lab.b.target)).toEqual([
      `kube_router_import.customimportreject.g${generation}.ipv4`,
      `kube_router_import.customimportreject.g${generation}.ipv6`,
    ]);

    await b.clearPolicyAssignment('import');
    await b.deletePolicy('kube_router_import');
    await b.deleteDefinedSet('prefix', 'customimportreject');
    expect(await b.listPolicies()).toEqual([]);
    expect(await b.listDefinedSets()).toEqual([]);
    expect(await b.listPolicyAssignments()).toEqual([
      { direction: 'import', policies: [], defaultAction: 'accept' },
      { direction: 'export', policies: [], defaultAction: 'accept' },
    ]);
    // Deleting what is absent is not an error.
    await b.deletePolicy('kube_router_import');
    await b.deleteDefinedSet('prefix', 'customimportreject');

    await b.softResetPeers('in');
    await waitFor('b accepts everything again', async () => ((await ribOf(b)).length === ALL.length ? true : undefined));
  }, 120_000);
});
