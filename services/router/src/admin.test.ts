// Test IP plan: the admin server listens on loopback only, on ephemeral ports, 127.0.0.1
// (IPv4) and ::1 (IPv6); the router facts are those of testing/router-facts.ts (dual
// stack: nodes a, b, c, d; routers 198.18.0.1 / fd42:198:18::1). Every test starts its
// own real AdminServer and talks to it with real gRPC clients.
import { credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { AdminServer, type AdminLogger } from '@kr/admin';
import { descriptor, nodestate, reflection, routerAdmin } from '@kr/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { routerAdminService, type RouterAdminSource } from './admin.js';
import { advertisementsResponse, routesResponse, type RouterAdminFacts } from './admin-views.js';
import type { ObservedPeer } from './model/index.js';
import { factsFor } from './testing/router-facts.js';

const LISTEN = [
  { family: 'IPv4', address: '127.0.0.1:0' },
  { family: 'IPv6', address: '[::1]:0' },
];
const ROUTER = 'kuberouter.admin.v1.Router';
const DUAL = factsFor('dual', { ipv4: true, ipv6: true });

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function recordingLogger(): { log: AdminLogger; lines: { level: string; fields: object; message?: string }[] } {
  const lines: { level: string; fields: object; message?: string }[] = [];
  const at = (level: string) => (fields: object, message?: string) => void lines.push({ level, fields, ...(message !== undefined ? { message } : {}) });
  return { log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

async function serve(address: string, source: Partial<RouterAdminSource> = {}) {
  const { log, lines } = recordingLogger();
  const server = new AdminServer({ address, log });
  server.addService(...routerAdminService({ node: 'a', facts: () => DUAL, ...source }, log));
  const { address: target } = await server.start();
  cleanups.push(() => server.stop(1_000));
  const client = new routerAdmin.RouterClient(target, credentials.createInsecure());
  cleanups.push(() => client.close());
  return { server, target, client, lines };
}

/** One unary call of the generated client as a promise (rejects with the ServiceError). */
function call<Req, Res>(invoke: (request: Req, done: (err: ServiceError | null, response: Res) => void) => unknown, request: Req): Promise<Res> {
  return new Promise((resolve, reject) => invoke(request, (err, response) => (err ? reject(err) : resolve(response))));
}

function listPeers(client: routerAdmin.RouterClient, request: Partial<routerAdmin.ListPeersRequest> = {}) {
  return call<routerAdmin.ListPeersRequest, routerAdmin.ListPeersResponse>((r, done) => client.listPeers(r, done), routerAdmin.ListPeersRequest.fromPartial(request));
}
function listRoutes(client: routerAdmin.RouterClient, request: Partial<routerAdmin.ListRoutesRequest> = {}) {
  return call<routerAdmin.ListRoutesRequest, routerAdmin.ListRoutesResponse>((r, done) => client.listRoutes(r, done), routerAdmin.ListRoutesRequest.fromPartial(request));
}
function listAdvertisements(client: routerAdmin.RouterClient, request: Partial<routerAdmin.ListAdvertisementsRequest> = {}) {
  return call<routerAdmin.ListAdvertisementsRequest, routerAdmin.ListAdvertisementsResponse>((r, done) => client.listAdvertisements(r, done), routerAdmin.ListAdvertisementsRequest.fromPartial(request));
}

/** Asks the server's reflection service one question on a fresh stream. */
function reflect(target: string, request: Partial<reflection.ServerReflectionRequest>): Promise<reflection.ServerReflectionResponse> {
  const client = new reflection.ServerReflectionClient(target, credentials.createInsecure());
  return new Promise<reflection.ServerReflectionResponse>((resolve, reject) => {
    const stream = client.serverReflectionInfo();
    stream.on('data', (answer: reflection.ServerReflectionResponse) => {
      resolve(answer);
      stream.end();
    });
    stream.on('error', reject);
    stream.write(reflection.ServerReflectionRequest.fromPartial(request));
  }).finally(() => client.close());
}

describe.each(LISTEN)('Router admin service over gRPC on $family loopback', ({ address }) => {
  it('is listed by reflection and described with its three methods', async () => {
    const { target, server } = await serve(address);
    expect(server.serviceNames).toContain(ROUTER);
    const listed = await reflect(target, { listServices: '*' });
    expect(listed.listServicesResponse?.service.map((s) => s.name)).toContain(ROUTER);

    const described = await reflect(target, { fileContainingSymbol: ROUTER });
    const files = (described.fileDescriptorResponse?.fileDescriptorProto ?? []).map((bytes) => descriptor.FileDescriptorProto.decode(bytes));
    const [file] = files;
    expect(file?.name).toBe('kuberouter/admin/v1/router.proto');
    // With everything it imports, so a client can decode the answers.
    expect(files.map((f) => f.name).sort()).toEqual(
      ['google/protobuf/duration.proto', 'google/protobuf/timestamp.proto', 'kuberouter/admin/v1/router.proto', 'kuberouter/nodestate/v1/nodestate.proto'],
    );
    const service = file?.service.find((s) => s.name === 'Router');
    expect(service?.method.map((m) => `${m.name}(${m.inputType}) ${m.outputType}`)).toEqual([
      'ListPeers(.kuberouter.admin.v1.ListPeersRequest) .kuberouter.admin.v1.ListPeersResponse',
      'ListRoutes(.kuberouter.admin.v1.ListRoutesRequest) .kuberouter.admin.v1.ListRoutesResponse',
      'ListAdvertisements(.kuberouter.admin.v1.ListAdvertisementsRequest) .kuberouter.admin.v1.ListAdvertisementsResponse',
    ]);
  });

  it('ListRoutes and ListAdvertisements answer what the facts say, filters applied', async () => {
    const { client } = await serve(address);
    const ipv6 = { family: nodestate.Family.FAMILY_IPV6, node: '' };
    expect(await listRoutes(client, ipv6)).toEqual(routerAdmin.ListRoutesResponse.fromPartial(routesResponse('a', DUAL, ipv6)));
    const all = await listRoutes(client);
    expect(all.routes.map((r) => r.route!.prefix!.cidr)).toEqual(['10.244.2.0/24', '10.244.3.0/24', '192.0.2.0/24', '2001:db8:ff::/48', 'fd00:10:244:2::/64', 'fd00:10:244:3::/64']);
    expect(all.router?.synced).toEqual(DUAL.syncedAt);
    const lb = { family: 0, kind: nodestate.AdvertisementKind.ADVERTISEMENT_KIND_LOADBALANCER_IP, service: '' };
    expect(await listAdvertisements(client, lb)).toEqual(routerAdmin.ListAdvertisementsResponse.fromPartial(advertisementsResponse('a', DUAL, lb)));
  });

  it('reads the facts at every call', async () => {
    let facts: RouterAdminFacts = DUAL;
    const { client } = await serve(address, { facts: () => facts });
    expect((await listRoutes(client)).routes).toHaveLength(6);
    facts = { ...DUAL, routes: DUAL.routes.slice(0, 1), tunnels: [] };
    expect((await listRoutes(client)).routes.map((r) => r.route!.prefix!.cidr)).toEqual(['10.244.2.0/24']);
  });

  it('ListPeers shows the sessions GoBGP reports now', async () => {
    // Since the sync, node c's session came up.
    const now: ObservedPeer[] = DUAL.peers.map((p) => ({ ...p, state: 'established', families: p.spec.families }));
    const { client } = await serve(address, { livePeers: async () => now });
    const r = await listPeers(client);
    expect(r.peers.map((p) => `${p.peer!.address!.ip} ${p.peer!.state}`)).toEqual(['198.18.0.1 6', '198.18.0.12 6', '198.18.1.13 6']);
    expect([r.live, r.liveError]).toEqual([true, '']);
    expect(r.skippedNodes.map((s) => s.node)).toEqual(['d']);
  });

  it.each([
    { name: 'fails', livePeers: async (): Promise<ObservedPeer[]> => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:50051')), error: 'connect ECONNREFUSED 127.0.0.1:50051' },
    { name: 'does not answer in time', livePeers: () => new Promise<ObservedPeer[]>(() => {}), error: 'GoBGP did not answer within 100 ms' },
  ])('ListPeers answers from the last sync when GoBGP $name', async ({ livePeers, error }) => {
    const { client } = await serve(address, { livePeers, livePeersTimeoutMs: 100 });
    const r = await listPeers(client, { node: 'c' });
    expect(r.peers.map((p) => `${p.peer!.address!.ip} ${p.peer!.state}`)).toEqual(['198.18.1.13 3']);
    expect([r.live, r.liveError]).toEqual([false, error]);
  });

  it.each([
    { method: 'ListRoutes', ask: (c: routerAdmin.RouterClient) => listRoutes(c, { family: 5 as nodestate.Family }), details: 'family: 5 is not a known family (FAMILY_IPV4 = 1, FAMILY_IPV6 = 2)' },
    { method: 'ListAdvertisements', ask: (c: routerAdmin.RouterClient) => listAdvertisements(c, { service: 'web' }), details: 'service: "web" is not "namespace/name"' },
  ])('$method rejects a bad filter with INVALID_ARGUMENT, logged at debug only', async ({ ask, details }) => {
    const { client, lines } = await serve(address);
    const err = (await ask(client).catch((e: unknown) => e)) as ServiceError;
    expect([err.code, err.details]).toEqual([GrpcStatus.INVALID_ARGUMENT, details]);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('a failure reading the facts is INTERNAL and logged', async () => {
    const { client, lines } = await serve(address, {
      facts: () => {
        throw new Error('facts unavailable');
      },
    });
    const err = (await listRoutes(client).catch((e: unknown) => e)) as ServiceError;
    expect([err.code, err.details]).toEqual([GrpcStatus.INTERNAL, 'facts unavailable']);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'admin call failed', fields: expect.objectContaining({ method: 'ListRoutes' }) }));
  });
});
