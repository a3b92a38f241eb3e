// Peer lifecycle against real gobgpd: add, list (until established), update each kind
// of setting, delete — and what GoBGP reports back equals what we asked for.
//
// Test IP plan (see testing/bgp-lab.ts): iBGP 64512 over IPv4, both families
//   a: 198.18.0.1/24 fd42:198:18::1/64   b: 198.18.0.2/24 fd42:198:18::2/64
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOT_REQUIRED, isRoot } from '@kr/dataplane/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import type { ObservedPeer, PeerSpec } from '../../model/bgp-types.js';
import { GobgpClient } from './client.js';
import { peerSpecDiff } from './peers.js';
import { createBgpLab, tcpMd5SkipReason, waitFor, type BgpLab, type BgpSpeaker } from './testing/index.js';

const run = promisify(execFile);
const ASN = 64512;
const md5Skip = await tcpMd5SkipReason();

function basePeer(other: BgpSpeaker, self: BgpSpeaker): PeerSpec {
  return {
    address: other.ipv4,
    asn: ASN,
    port: 179,
    localAddress: self.ipv4,
    families: ['ipv4', 'ipv6'],
    holdTimeSeconds: 9,
    keepaliveSeconds: 3,
    connectRetrySeconds: 5,
    source: 'node-mesh',
    node: `node-${other.name}`,
    description: 'mesh | test',
  };
}

interface UpdateRow {
  readonly name: string;
  /** The change, applied to a's view of b and b's view of a. */
  readonly change: (spec: PeerSpec, side: 'a' | 'b') => PeerSpec;
  /** A kernel-side check of the new session. */
  readonly verify?: (lab: BgpLab) => Promise<void>;
  readonly skip?: string;
}

/** The kernel signs the session with the key: `ss` lists it on a's BGP socket. */
async function expectMd5Signed(lab: BgpLab): Promise<void> {
  const { stdout } = await run('ip', ['netns', 'exec', lab.a.netns, 'ss', '-tni', 'state', 'established', `( sport = :179 or dport = :179 )`]);
  expect(stdout).toContain(`md5keys:${lab.b.ipv4.address}/32`);
}

const updates: UpdateRow[] = [
  { name: 'hold time and keepalive', change: (s) => ({ ...s, holdTimeSeconds: 15, keepaliveSeconds: 5 }) },
  {
    name: 'route-reflector client (a reflects to b)',
    change: (s, side) => (side === 'a' ? { ...s, routeReflectorClient: { clusterId: '198.18.0.1' } } : s),
  },
  { name: 'password (TCP MD5)', change: (s) => ({ ...s, password: 's3cret:with spaces' }), verify: expectMd5Signed, ...(md5Skip ? { skip: md5Skip } : {}) },
  {
    name: 'graceful restart',
    change: (s) => ({ ...s, gracefulRestart: { enabled: true, restartTimeSeconds: 90, deferralTimeSeconds: 30 } }),
  },
  { name: 'families: IPv6 only', change: (s) => ({ ...s, families: ['ipv6'] }) },
];

async function established(client: GobgpClient, spec: PeerSpec): Promise<ObservedPeer> {
  return waitFor(`session to ${spec.address.address} established`, async () => {
    const [peer] = await client.listPeers({ address: spec.address });
    return peer?.state === 'established' ? peer : undefined;
  });
}

describe.skipIf(!isRoot())(`GobgpClient peers against real gobgpd${ROOT_REQUIRED}`, () => {
  let lab: BgpLab;
  let a: GobgpClient;
  let b: GobgpClient;
  let specA: PeerSpec;
  let specB: PeerSpec;

  // A failed test prints what both gobgpd logged.
  beforeEach(() => onTestFailed(() => console.error(lab?.diagnostics())));

  beforeAll(async () => {
    lab = await createBgpLab();
    a = new GobgpClient({ target: lab.a.target });
    b = new GobgpClient({ target: lab.b.target });
    await a.startBgp({ asn: ASN, routerId: lab.a.ipv4.address, listenPort: 179, listenAddresses: [lab.a.ipv4.address] });
    await b.startBgp({ asn: ASN, routerId: lab.b.ipv4.address, listenPort: 179, listenAddresses: [lab.b.ipv4.address] });
    specA = basePeer(lab.b, lab.a);
    specB = basePeer(lab.a, lab.b);
  });

  afterAll(async () => {
    a?.close();
    b?.close();
    await lab?.close();
  });

  it('add: the session comes up with both families and lists back as configured', async () => {
    expect(await a.listPeers()).toEqual([]);
    await a.addPeer(specA);
    await b.addPeer(specB);
    const peer = await established(a, specA);
    expect(peerSpecDiff(specA, peer.spec)).toEqual([]);
    expect(peerSpecDiff(specB, (await established(b, specB)).spec)).toEqual([]);
    expect(peer.families).toEqual(['ipv4', 'ipv6']);
    expect(peer.uptime).toBeInstanceOf(Date);
    // Adding it again is GoBGP's error, reported with the RPC.
    await expect(a.addPeer(specA)).rejects.toMatchObject({ name: 'GobgpError', rpc: 'AddPeer' });
  }, 120_000);

  for (const row of updates) {
    const title = `update: ${row.name}${row.skip ? ` (${row.skip})` : ''}`;
    it.skipIf(row.skip !== undefined)(
      title,
      async () => {
        const before = await established(a, specA);
        specA = row.change(specA, 'a');
        specB = row.change(specB, 'b');
        await a.updatePeer(specA);
        await b.updatePeer(specB);
        // GoBGP 3.10 resets the session for every update (it compares the new settings
        // with its defaulted copy, which always differs). A session that dropped idles
        // 5 s, and a new one waits 5–9 s before its first connection attempt.
        const after = await waitFor(
          'the update applied and the session up',
          async () => {
            const [peer] = await a.listPeers({ address: specA.address });
            return peer?.state === 'established' && peerSpecDiff(specA, peer.spec).length === 0 ? peer : undefined;
          },
          75_000,
        );
        expect(after.uptime!.getTime()).toBeGreaterThan(before.uptime!.getTime());
        await row.verify?.(lab);
        expect(peerSpecDiff(specB, (await established(b, specB)).spec)).toEqual([]);
        expect(after.families).toEqual([...specA.families]);
        // Nothing left to do: the same spec again changes nothing.
        expect(peerSpecDiff(specA, after.spec)).toEqual([]);
      },
      90_000,
    );
  }

  it('delete: the peer is gone, and deleting it again is not an error', async () => {
    await a.deletePeer(specA.address);
    await b.deletePeer(specB.address);
    expect(await a.listPeers()).toEqual([]);
    expect(await b.listPeers()).toEqual([]);
    await a.deletePeer(specA.address);
  });
});
