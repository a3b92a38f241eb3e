// Real gobgpd speakers peering over a veth pair: one session carries IPv4 and IPv6
// unicast, and each prefix arrives with a next hop of its own family.
//
// Test IP plan (see testing/bgp-lab.ts):
//   a: 198.18.0.1/24, fd42:198:18::1/64   ASN 64512
//   b: 198.18.0.2/24, fd42:198:18::2/64   ASN 64512 (iBGP) or 64513 (eBGP)
//   a advertises 10.244.1.0/24 via 198.18.0.1 and fd00:10:244:1::/64 via fd42:198:18::1
//   fd00:10:244:99::/64 is added by raw API with an unspecified next hop (what GoBGP does then)
import { credentials, Metadata } from '@grpc/grpc-js';
import { parseCIDR, type Cidr, type Family, type IPAddress } from '@kr/ip';
import { ROOT_REQUIRED, isRoot, rootNamespaceFingerprint } from '@kr/dataplane/testing';
import { gobgp, gobgpAttr } from '@kr/proto/gobgp';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import type { ObservedPath, PathSpec, PeerSpec } from '../../model/bgp-types.js';
import { packAny } from './any.js';
import { GobgpClient } from './client.js';
import { toApiFamily } from './families.js';
import { createBgpLab, waitFor, type BgpLab, type BgpSpeaker } from './testing/index.js';

const POD_V4 = parseCIDR('10.244.1.0/24');
const POD_V6 = parseCIDR('fd00:10:244:1::/64');
const UNSPECIFIED_V6 = parseCIDR('fd00:10:244:99::/64');

interface Row {
  readonly name: string;
  readonly asnA: number;
  readonly asnB: number;
  /** Session transport: both speakers peer over this family's addresses. */
  readonly transport: Family;
  /** AS path b sees on a's routes. */
  readonly asPath: number[];
  /** What b sees as next hop of an IPv6 path a added with next hop `::`. */
  readonly unspecifiedV6NextHop: (a: BgpSpeaker) => string;
}

const rows: Row[] = [
  { name: 'iBGP over IPv4', asnA: 64512, asnB: 64512, transport: 'ipv4', asPath: [], unspecifiedV6NextHop: (a) => `::ffff:${a.ipv4.address}` },
  { name: 'eBGP over IPv4', asnA: 64512, asnB: 64513, transport: 'ipv4', asPath: [64512], unspecifiedV6NextHop: (a) => `::ffff:${a.ipv4.address}` },
  { name: 'iBGP over IPv6', asnA: 64512, asnB: 64512, transport: 'ipv6', asPath: [], unspecifiedV6NextHop: (a) => a.ipv6.address },
  { name: 'eBGP over IPv6', asnA: 64512, asnB: 64513, transport: 'ipv6', asPath: [64512], unspecifiedV6NextHop: (a) => a.ipv6.address },
];

function transportAddress(s: BgpSpeaker, family: Family): IPAddress {
  return family === 'ipv4' ? s.ipv4 : s.ipv6;
}

function peerSpec(self: BgpSpeaker, other: BgpSpeaker, asn: number, transport: Family): PeerSpec {
  return {
    address: transportAddress(other, transport),
    asn,
    port: 179,
    localAddress: transportAddress(self, transport),
    families: ['ipv4', 'ipv6'],
    holdTimeSeconds: 9,
    keepaliveSeconds: 3,
    connectRetrySeconds: 5,
    source: 'node-mesh',
    node: other.name,
  };
}

const byPrefix = (paths: readonly ObservedPath[], prefix: Cidr) => paths.find((p) => p.prefix.equals(prefix));

/** Adds a path the way a careless client would: IPv6 next hop left unspecified. */
async function addPathWithUnspecifiedNextHop(target: string, prefix: Cidr): Promise<void> {
  const raw = new gobgp.GobgpApiClient(target, credentials.createInsecure());
  try {
    const nlri = packAny('IPAddressPrefix', gobgpAttr.IPAddressPrefix, { prefix: prefix.address, prefixLen: prefix.prefixLength });
    const path = gobgp.Path.fromPartial({
      nlri,
      family: toApiFamily('ipv6'),
      pattrs: [
        packAny('OriginAttribute', gobgpAttr.OriginAttribute, { origin: 0 }),
        packAny('MpReachNLRIAttribute', gobgpAttr.MpReachNLRIAttribute, { family: toApiFamily('ipv6'), nextHops: ['::'], nlris: [nlri] }),
      ],
    });
    await new Promise<void>((resolve, reject) =>
      raw.addPath({ tableType: gobgp.TableType.GLOBAL, vrfId: '', path }, new Metadata(), { deadline: Date.now() + 5000 }, (err) => (err ? reject(err) : resolve())),
    );
  } finally {
    raw.close();
  }
}

describe.skipIf(!isRoot())(`GobgpClient sessions against real gobgpd${ROOT_REQUIRED}`, () => {
  let lab: BgpLab;
  let a: GobgpClient;
  let b: GobgpClient;
  let rootBefore: string;

  // A failed test prints what both gobgpd logged.
  beforeEach(() => onTestFailed(() => console.error(lab?.diagnostics())));

  beforeAll(async () => {
    rootBefore = await rootNamespaceFingerprint();
    lab = await createBgpLab();
    a = new GobgpClient({ target: lab.a.target });
    b = new GobgpClient({ target: lab.b.target });
  });

  afterAll(async () => {
    a?.close();
    b?.close();
    await lab?.close();
    expect(await rootNamespaceFingerprint(), 'root namespace must be untouched').toBe(rootBefore);
  });

  it.each(rows)('$name: one session carries both families, each prefix with its own next hop', async (row) => {
    // Fresh speakers per row: the ASN of a running BGP server cannot change.
    await lab.a.start();
    await lab.b.start();
    const listen = (s: BgpSpeaker) => [s.ipv4.address, s.ipv6.address];
    await a.startBgp({ asn: row.asnA, routerId: lab.a.ipv4.address, listenPort: 179, listenAddresses: listen(lab.a) });
    await b.startBgp({ asn: row.asnB, routerId: lab.b.ipv4.address, listenPort: 179, listenAddresses: listen(lab.b) });

    const seen: ObservedPath[] = [];
    const ended: unknown[] = [];
    const watch = b.watchBestPaths((paths) => seen.push(...paths), (err) => ended.push(err));
    try {
      await a.addPeer(peerSpec(lab.a, lab.b, row.asnB, row.transport));
      await b.addPeer(peerSpec(lab.b, lab.a, row.asnA, row.transport));
      const advertised: PathSpec[] = [
        { prefix: POD_V4, nextHop: lab.a.ipv4, kind: 'pod-cidr' },
        { prefix: POD_V6, nextHop: lab.a.ipv6, kind: 'pod-cidr' },
      ];
      for (const path of advertised) await a.addPath(path);
      await addPathWithUnspecifiedNextHop(lab.a.target, UNSPECIFIED_V6);

      const peer = await waitFor('session established', async () => {
        const [p] = await b.listPeers();
        return p?.state === 'established' ? p : undefined;
      });
      expect(peer.families).toEqual(['ipv4', 'ipv6']);
      expect(peer.spec.address.equals(transportAddress(lab.a, row.transport))).toBe(true);

      // a holds them as local paths.
      const local = [...(await a.listPaths('ipv4', { table: 'global' })), ...(await a.listPaths('ipv6', { table: 'global' }))];
      expect(local.filter((p) => p.local).map((p) => p.prefix.toString()).sort()).toEqual([POD_V4, POD_V6, UNSPECIFIED_V6].map(String).sort());

      // Each family comes in UPDATE messages of its own: wait for both.
      const [v4, v6] = await waitFor('IPv4 and IPv6 paths on b', async () => {
        const paths = [await b.listPaths('ipv4', { table: 'global' }), await b.listPaths('ipv6', { table: 'global' })] as const;
        return paths[0].length === 1 && paths[1].length === 2 ? paths : undefined;
      });
      const expected = [
        { prefix: POD_V4, nextHop: lab.a.ipv4.address, got: byPrefix(v4, POD_V4) },
        { prefix: POD_V6, nextHop: lab.a.ipv6.address, got: byPrefix(v6, POD_V6) },
      ];
      for (const { prefix, nextHop, got } of expected) {
        expect(got, prefix.toString()).toMatchObject({ best: true, local: false, asPath: row.asPath, withdrawal: false });
        expect(got!.nextHop.address, prefix.toString()).toBe(nextHop);
        expect(got!.peer?.equals(transportAddress(lab.a, row.transport))).toBe(true);
      }
      // The finding behind the explicit next hops: left unspecified, GoBGP fills an IPv6
      // path's next hop from the session's local address — IPv4-mapped on an IPv4 session.
      expect(byPrefix(v6, UNSPECIFIED_V6)?.nextHop.address).toBe(row.unspecifiedV6NextHop(lab.a));

      // Withdraw: gone from b, and the watch saw both the advertisement and the withdrawal.
      for (const path of advertised) await a.deletePath(path);
      await a.deletePath({ prefix: UNSPECIFIED_V6 });
      await waitFor('withdrawals on b', async () => {
        const left = [...(await b.listPaths('ipv4', { table: 'global' })), ...(await b.listPaths('ipv6', { table: 'global' }))];
        return left.length === 0 ? true : undefined;
      });
      // Withdrawing what is no longer there is not an error.
      await a.deletePath(advertised[0]!);
      await waitFor('withdrawals in the watch', async () => (seen.filter((p) => p.withdrawal).length >= 3 ? true : undefined));
      for (const { prefix, nextHop } of expected) {
        const events = seen.filter((p) => p.prefix.equals(prefix));
        expect(events.map((p) => [p.withdrawal, p.best, p.nextHop.address])).toEqual([
          [false, true, nextHop],
          [true, false, nextHop],
        ]);
      }
      expect(ended).toEqual([]);
    } finally {
      watch.close();
    }
    expect(ended).toEqual([undefined]);
  }, 90_000);
});
