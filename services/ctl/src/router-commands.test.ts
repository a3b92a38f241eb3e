// Test IP plan: a real AdminServer on loopback (127.0.0.1 and ::1, ephemeral ports) serves
// the Router service with the canned answers of testing/router-answers.ts; `kr` asks it
// over real gRPC through --admin-router. Nothing else listens (the "router down" case
// uses a port that was just released).
import { AdminServer, type AdminLogger } from '@kr/admin';
import { nodestate, routerAdmin } from '@kr/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { advertisementsAnswer, peersAnswer, routesAnswer, type AnswerStack } from './testing/router-answers.js';

const LISTEN = [
  { family: 'IPv4', address: '127.0.0.1:0' },
  { family: 'IPv6', address: '[::1]:0' },
];
const quiet: AdminLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A router admin server answering for `stack`, recording what it was asked. */
async function fakeRouter(address: string, stack: AnswerStack) {
  const asked: { method: string; request: unknown }[] = [];
  const answer =
    <Req, Res>(method: string, response: Res) =>
    (call: { request: Req }, done: (err: null, r: Res) => void) => {
      asked.push({ method, request: call.request });
      done(null, response);
    };
  const implementation: routerAdmin.RouterServer = {
    listPeers: answer('ListPeers', peersAnswer(stack)),
    listRoutes: answer('ListRoutes', routesAnswer(stack)),
    listAdvertisements: answer('ListAdvertisements', advertisementsAnswer(stack)),
  };
  const server = new AdminServer({ address, log: quiet });
  server.addService(routerAdmin.RouterService, implementation);
  const { address: target } = await server.start();
  cleanups.push(() => server.stop(1_000));
  return { target, asked };
}

async function kr(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe.each(LISTEN)('kr router commands over gRPC on $family loopback', ({ address }) => {
  it.each([
    { stack: 'ipv4' as const, argv: ['peers', '--family', 'ipv4'], method: 'ListPeers', request: { family: nodestate.Family.FAMILY_IPV4, node: '' }, first: 'PEER' },
    { stack: 'ipv6' as const, argv: ['routes', '--family=ipv6', '--node', 'c'], method: 'ListRoutes', request: { family: nodestate.Family.FAMILY_IPV6, node: 'c' }, first: 'PREFIX' },
    {
      stack: 'dual' as const,
      argv: ['advertisements', '--kind', 'loadbalancer-ip', '--service', 'default/local-lb'],
      method: 'ListAdvertisements',
      request: { family: 0, kind: nodestate.AdvertisementKind.ADVERTISEMENT_KIND_LOADBALANCER_IP, service: 'default/local-lb' },
      first: 'PREFIX',
    },
  ])('$stack: kr $argv.0 sends the filters and prints the table', async ({ stack, argv, method, request, first }) => {
    const router = await fakeRouter(address, stack);
    const r = await kr(...argv, '--admin-router', router.target);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(router.asked).toEqual([{ method, request }]);
    expect(r.out.split('\n')[0]).toMatch(/^node a {3}AS 64512 {3}router-id /);
    expect(r.out).toContain(`\n${first} `);
  });

  it.each([
    { command: 'peers', json: () => routerAdmin.ListPeersResponse.toJSON(peersAnswer('dual')) },
    { command: 'routes', json: () => routerAdmin.ListRoutesResponse.toJSON(routesAnswer('dual')) },
    { command: 'advertisements', json: () => routerAdmin.ListAdvertisementsResponse.toJSON(advertisementsAnswer('dual')) },
  ])('kr $command --json prints the proto3 JSON of the answer', async ({ command, json }) => {
    const router = await fakeRouter(address, 'dual');
    const r = await kr(command, '--json', `--admin-router=${router.target}`);
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.out) as Record<string, unknown>;
    expect(printed).toEqual(JSON.parse(JSON.stringify(json())));
  });

  it('kr peers --json: enums by name, times in RFC 3339, both families', async () => {
    const router = await fakeRouter(address, 'dual');
    const printed = JSON.parse((await kr('peers', '--json', '--admin-router', router.target)).out);
    expect(printed.peers[1]).toEqual({
      peer: {
        address: { family: 'FAMILY_IPV4', ip: '198.18.0.12' },
        asn: 64512,
        source: 'PEER_SOURCE_NODE_MESH',
        state: 'BGP_SESSION_STATE_ESTABLISHED',
        families: ['FAMILY_IPV4', 'FAMILY_IPV6'],
        node: 'b',
        stateSince: '2025-01-02T03:00:00.000Z',
        receivedPrefixes: 2,
        acceptedPrefixes: 2,
        advertisedPrefixes: 2,
      },
      configuredFamilies: ['FAMILY_IPV4', 'FAMILY_IPV6'],
      port: 179,
      localAddress: { family: 'FAMILY_IPV4', ip: '198.18.0.11' },
      description: 'node b',
      holdTimeSeconds: 90,
      keepaliveSeconds: 30,
    });
    expect(printed.skippedNodes).toEqual([{ node: 'd', reason: 'it has no ipv4 BGP address to peer with from 198.18.0.11' }]);
    expect(printed.live).toBe(true);
  });
});

describe('kr router commands, failures', () => {
  it('a router that is not running: exit 1 with the address and UNAVAILABLE', async () => {
    const router = await fakeRouter('127.0.0.1:0', 'ipv4');
    await cleanups.pop()!(); // stop it: the port is now closed
    const r = await kr('routes', '--admin-router', router.target, '--timeout', '2s');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^kr: ListRoutes on ${router.target.replace(/[.[\]]/g, '\\$&')}: UNAVAILABLE: `));
  });

  it.each([
    { argv: ['peers', '--family', 'ipv5'], message: /^kr: --family.*must be one of ipv4, ipv6 \(or empty for all\)\n$/ },
    { argv: ['advertisements', '--kind', 'vip'], message: /^kr: --kind.*must be one of pod-cidr, cluster-ip, external-ip, loadbalancer-ip/ },
    { argv: ['routes', '--admin-router', ''], message: /^kr: router address: empty address\n$/ },
  ])('bad usage $argv exits 2 without calling anything', async ({ argv, message }) => {
    const r = await kr(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('a filter the router refuses comes back as its message, exit 1', async () => {
    const server = new AdminServer({ address: '127.0.0.1:0', log: quiet });
    const refuse = (_call: unknown, done: (err: { code: number; details: string }) => void) => done({ code: 3, details: 'service: "web" is not "namespace/name"' });
    server.addService(routerAdmin.RouterService, { listPeers: refuse, listRoutes: refuse, listAdvertisements: refuse });
    const { address } = await server.start();
    cleanups.push(() => server.stop(1_000));
    const r = await kr('advertisements', '--service', 'web', '--admin-router', address);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`kr: ListAdvertisements on ${address}: INVALID_ARGUMENT: service: "web" is not "namespace/name"\n`);
  });

  it('help lists the filters and the router address flag', async () => {
    for (const command of ['peers', 'routes', 'advertisements']) {
      const r = await kr(command, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toContain('--admin-router');
      expect(r.out).toContain('--family');
    }
    expect((await kr('help')).out).toContain('kr peers [--family F] [--node N]');
  });
});
