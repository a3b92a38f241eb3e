// The gobgpd sidecar is SIGKILLed and started again (as a container restart would): the
// client notices (broken watch, disconnect, BGP not started) and re-creating the state on
// the same client brings the session and the routes back.
//
// Test IP plan (see testing/bgp-lab.ts): iBGP 64512 over IPv4, both families
//   a: 198.18.0.1/24 fd42:198:18::1/64, advertises 10.244.1.0/24 and fd00:10:244:1::/64
//   b: 198.18.0.2/24 fd42:198:18::2/64
// a's API is dialled as in production, host:port (127.0.0.1:<relay port> → a's socket).
import { parseCIDR } from '@kr/ip';
import { ROOT_REQUIRED, isRoot } from '@kr/dataplane/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import type { BgpGlobal, ObservedPath, PathSpec, PeerSpec } from '../../model/bgp-types.js';
import { GobgpClient, gobgpTarget, type BestPathWatch } from './client.js';
import type { GobgpError } from './errors.js';
import { createBgpLab, relayTcpToUnix, waitFor, type BgpLab, type BgpSpeaker, type TcpRelay } from './testing/index.js';

const ASN = 64512;
const POD_V4 = parseCIDR('10.244.1.0/24');
const POD_V6 = parseCIDR('fd00:10:244:1::/64');

const globalOf = (s: BgpSpeaker): BgpGlobal => ({ asn: ASN, routerId: s.ipv4.address, listenPort: 179, listenAddresses: [s.ipv4.address] });

function peerSpec(other: BgpSpeaker, self: BgpSpeaker): PeerSpec {
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
  };
}

async function routesOn(client: GobgpClient): Promise<ObservedPath[]> {
  return [...(await client.listPaths('ipv4', { table: 'global' })), ...(await client.listPaths('ipv6', { table: 'global' }))];
}

describe.skipIf(!isRoot())(`GobgpClient across a gobgpd restart${ROOT_REQUIRED}`, () => {
  let lab: BgpLab;
  let relay: TcpRelay;
  let a: GobgpClient;
  let b: GobgpClient;
  let paths: PathSpec[];

  /** What the router does when it finds gobgpd empty. */
  async function createState(): Promise<void> {
    await a.startBgp(globalOf(lab.a));
    await a.addPeer(peerSpec(lab.b, lab.a));
    for (const p of paths) await a.addPath(p);
  }

  // A failed test prints what both gobgpd logged.
  beforeEach(() => onTestFailed(() => console.error(lab?.diagnostics())));

  beforeAll(async () => {
    lab = await createBgpLab();
    relay = await relayTcpToUnix(lab.a.socketPath);
    a = new GobgpClient({ target: gobgpTarget('127.0.0.1', relay.port) });
    b = new GobgpClient({ target: lab.b.target });
    paths = [
      { prefix: POD_V4, nextHop: lab.a.ipv4, kind: 'pod-cidr' },
      { prefix: POD_V6, nextHop: lab.a.ipv6, kind: 'pod-cidr' },
    ];
    await b.startBgp(globalOf(lab.b));
    await b.addPeer(peerSpec(lab.a, lab.b));
  });

  afterAll(async () => {
    a?.close();
    b?.close();
    await relay?.close();
    await lab?.close();
  });

  it('reports the restart and recovers once the state is re-created', async () => {
    expect(await a.getBgp()).toBeUndefined();
    await createState();
    expect(await a.getBgp()).toEqual(globalOf(lab.a));
    await waitFor('routes on b', async () => ((await routesOn(b)).length === 2 ? true : undefined));

    const ends: (GobgpError | undefined)[] = [];
    let disconnects = 0;
    a.onDisconnect(() => disconnects++);
    let batches = 0;
    const watch: BestPathWatch = a.watchBestPaths(() => batches++, (err) => ends.push(err));
    // The watch is up once its first message (a's current best paths) arrives.
    await waitFor('watch established', async () => (batches > 0 ? true : undefined), 10_000);

    await lab.a.kill();
    await waitFor('broken watch reported', async () => (ends.length > 0 ? true : undefined), 10_000);
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ name: 'GobgpError', rpc: 'WatchEvent', unreachable: true });
    expect(disconnects).toBeGreaterThanOrEqual(1);
    watch.close(); // already ended: no second onEnd
    expect(ends).toHaveLength(1);
    await expect(a.getBgp()).rejects.toMatchObject({ name: 'GobgpError', rpc: 'GetBgp', unreachable: true });
    // b drops a's routes with the session.
    await waitFor('routes withdrawn on b', async () => ((await routesOn(b)).length === 0 ? true : undefined));

    await lab.a.start();
    // The same client reconnects by itself; the new gobgpd is empty.
    expect(await waitFor('a reachable again', async () => ({ global: await a.getBgp() }), 15_000)).toEqual({ global: undefined });
    await createState();
    const rewatch = a.watchBestPaths(() => undefined, () => undefined);
    try {
      // b idles 5 s after losing the session; a's new peer waits 5–9 s before dialling.
      const back = await waitFor(
        'routes back on b',
        async () => {
          const routes = await routesOn(b);
          return routes.length === 2 ? routes : undefined;
        },
        75_000,
      );
      expect(back.map((p) => [p.prefix.toString(), p.nextHop.address]).sort()).toEqual([
        [POD_V4.toString(), lab.a.ipv4.address],
        [POD_V6.toString(), lab.a.ipv6.address],
      ]);
      const [peer] = await a.listPeers();
      expect(peer?.state).toBe('established');
    } finally {
      rewatch.close();
    }
    // Stopping BGP on purpose reads the same as a restarted, empty gobgpd.
    await a.stopBgp();
    expect(await a.getBgp()).toBeUndefined();
    expect(await a.listPeers()).toEqual([]);
  }, 120_000);
});
