import { status as GrpcStatus } from '@grpc/grpc-js';
import { KrError } from '@kr/errors';
import { admin, descriptor, health } from '@kr/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminCallError, connectController } from './client.js';
import { controllerService, type ControllerHandlers } from './controller.js';
import { ServingStatus } from './health.js';
import { REFLECTION_V1 } from './reflection.js';
import { AdminServer } from './server.js';
import { recordingLogger } from './testing/logger.js';
import { hasProtoc, protocComplaint } from './testing/protoc.js';
import { reflectionSession, watchHealth, type ReflectionVersion } from './testing/streams.js';

// Test IP plan: servers listen on loopback only, on ephemeral ports: 127.0.0.1 (IPv4)
// and ::1 (IPv6). Every test starts its own server and stops it afterwards.
const LISTEN = [
  { family: 'IPv4', address: '127.0.0.1:0', host: '127.0.0.1' },
  { family: 'IPv6', address: '[::1]:0', host: '::1' },
];
const VERSIONS: ReflectionVersion[] = ['v1', 'v1alpha'];

const CONTROLLER = 'kuberouter.admin.v1.Controller';
const HEALTH = 'grpc.health.v1.Health';
const ADMIN_PROTO = 'kuberouter/admin/v1/admin.proto';

const idle: ControllerHandlers = {
  getStatus: async () => admin.GetStatusResponse.fromPartial({ controller: 'proxy' }),
  getState: async () => ({}),
  resync: async () => ({ queued: true }),
  setLogLevel: async (r) => ({ previous: 'info', level: r.level }),
};

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(address: string, handlers: ControllerHandlers | null = idle) {
  const { log, lines } = recordingLogger();
  const server = new AdminServer({ address, log });
  if (handlers) server.addService(...controllerService(handlers, log));
  const { port, address: target } = await server.start();
  cleanups.push(() => server.stop(1_000));
  return { server, port, target, lines };
}

function track<T extends { close(): void }>(thing: T): T {
  cleanups.push(() => thing.close());
  return thing;
}

describe.each(LISTEN)('AdminServer on $family loopback', ({ address, host }) => {
  it('binds an ephemeral port and says where', async () => {
    const { port, target, server, lines } = await serve(address);
    expect(port).toBeGreaterThan(0);
    expect(target).toBe(host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
    expect(server.serviceNames).toEqual([HEALTH, REFLECTION_V1, CONTROLLER]);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'info', message: 'admin server listening' }));
  });

  describe('health', () => {
    it('answers Check for the server, a declared service and an unknown one', async () => {
      const { server, target } = await serve(address);
      const client = track(connectController(target));
      expect(await client.healthCheck()).toBe(ServingStatus.SERVING);
      server.setServingStatus(CONTROLLER, ServingStatus.NOT_SERVING);
      expect(await client.healthCheck(CONTROLLER)).toBe(ServingStatus.NOT_SERVING);
      server.setServingStatus('', ServingStatus.NOT_SERVING);
      expect(await client.healthCheck('')).toBe(ServingStatus.NOT_SERVING);
      const unknown = await client.healthCheck('no.such.Service').catch((err: unknown) => err);
      expect(unknown).toBeInstanceOf(AdminCallError);
      expect((unknown as AdminCallError).code).toBe(GrpcStatus.NOT_FOUND);
    });

    it('pushes changes to Watch, starting with SERVICE_UNKNOWN for an unknown service', async () => {
      const { server, target } = await serve(address);
      const watch = track(watchHealth(target, CONTROLLER));
      expect(await watch.next()).toBe(ServingStatus.SERVICE_UNKNOWN);
      server.setServingStatus(CONTROLLER, ServingStatus.SERVING);
      expect(await watch.next()).toBe(ServingStatus.SERVING);
      // An unchanged status is not pushed again: the next message is the next change.
      server.setServingStatus(CONTROLLER, ServingStatus.SERVING);
      server.setServingStatus(CONTROLLER, ServingStatus.NOT_SERVING);
      expect(await watch.next()).toBe(ServingStatus.NOT_SERVING);
      expect(watch.pending).toBe(0);

      const overall = track(watchHealth(target, ''));
      expect(await overall.next()).toBe(ServingStatus.SERVING);
    });

    it('forgets a Watch the client cancelled', async () => {
      const { server, target } = await serve(address);
      const watch = watchHealth(target, '');
      expect(await watch.next()).toBe(ServingStatus.SERVING);
      watch.close();
      expect((await watch.ended).code).toBe(GrpcStatus.CANCELLED);
      await expect.poll(() => (server as unknown as { health: { openWatches: number } }).health.openWatches).toBe(0);
      server.setServingStatus('', ServingStatus.NOT_SERVING); // must not write to the dead stream
      const client = track(connectController(target));
      expect(await client.healthCheck()).toBe(ServingStatus.NOT_SERVING);
    });
  });

  describe.each(VERSIONS)('reflection %s', (version) => {
    it('lists the services this server serves', async () => {
      const { target } = await serve(address);
      const session = track(reflectionSession(target, version));
      const answer = await session.ask({ host: 'admin', listServices: '*' });
      expect(answer.validHost).toBe('admin');
      expect(answer.originalRequest?.listServices).toBe('*');
      expect(answer.listServicesResponse?.service.map((s) => s.name)).toEqual([HEALTH, REFLECTION_V1, CONTROLLER]);
    });

    it('lists only health and reflection on a server without other services', async () => {
      const { target } = await serve(address, null);
      const session = track(reflectionSession(target, version));
      const answer = await session.ask({ listServices: '' });
      expect(answer.listServicesResponse?.service.map((s) => s.name)).toEqual([HEALTH, REFLECTION_V1]);
    });

    it('describes the Controller service with the files it imports', async (ctx) => {
      const { target } = await serve(address);
      const session = track(reflectionSession(target, version));
      const answer = await session.ask({ fileContainingSymbol: CONTROLLER });
      const files = answer.fileDescriptorResponse?.fileDescriptorProto ?? [];
      const decoded = files.map((bytes) => descriptor.FileDescriptorProto.decode(bytes));
      expect(decoded[0]?.name).toBe(ADMIN_PROTO);
      expect(decoded[0]?.service.map((s) => s.name)).toEqual(['Controller']);
      expect(decoded.map((f) => f.name).sort()).toEqual(
        [ADMIN_PROTO, 'google/protobuf/duration.proto', 'google/protobuf/timestamp.proto', 'kuberouter/nodestate/v1/nodestate.proto'].sort(),
      );

      // Every import is also answered by name (the file asked for is always sent).
      for (const dependency of decoded[0]!.dependency) {
        const byName = await session.ask({ fileByFilename: dependency });
        const [first] = byName.fileDescriptorResponse?.fileDescriptorProto ?? [];
        expect(descriptor.FileDescriptorProto.decode(first!).name).toBe(dependency);
      }

      // A message of a dependency and a nested enum resolve as well.
      const nested = await session.ask({ fileContainingSymbol: 'grpc.health.v1.HealthCheckResponse.ServingStatus' });
      expect(descriptor.FileDescriptorProto.decode(nested.fileDescriptorResponse!.fileDescriptorProto[0]!).name).toBe('grpc/health/v1/health.proto');

      // What was served is complete and valid: protoc links it.
      if (!(await hasProtoc())) ctx.skip('protoc is not installed; the linking check needs it');
      expect(await protocComplaint(files, ADMIN_PROTO)).toBe('');
      expect((await session.finish()).code).toBe(GrpcStatus.OK);
    });

    it.each([
      { ask: { fileContainingSymbol: 'kuberouter.admin.v1.Nope' }, code: GrpcStatus.NOT_FOUND, message: /symbol "kuberouter.admin.v1.Nope" not found/ },
      { ask: { fileByFilename: 'nope.proto' }, code: GrpcStatus.NOT_FOUND, message: /file "nope.proto" not found/ },
      { ask: { fileContainingExtension: { containingType: 'kuberouter.admin.v1.ResyncRequest', extensionNumber: 100 } }, code: GrpcStatus.NOT_FOUND, message: /extension 100/ },
      { ask: { allExtensionNumbersOfType: 'kuberouter.admin.v1.Nope' }, code: GrpcStatus.NOT_FOUND, message: /type/ },
      { ask: {}, code: GrpcStatus.INVALID_ARGUMENT, message: /asks nothing/ },
    ])('answers $ask with error $code', async ({ ask, code, message }) => {
      const { target } = await serve(address);
      const session = track(reflectionSession(target, version));
      const answer = await session.ask(ask);
      expect(answer.errorResponse?.errorCode).toBe(code);
      expect(answer.errorResponse?.errorMessage).toMatch(message);
      // The stream stays usable after an error.
      expect((await session.ask({ listServices: '' })).listServicesResponse).toBeDefined();
    });

    it('answers the extension numbers of a known message (none)', async () => {
      const { target } = await serve(address);
      const session = track(reflectionSession(target, version));
      const answer = await session.ask({ allExtensionNumbersOfType: 'kuberouter.admin.v1.ResyncRequest' });
      expect(answer.allExtensionNumbersResponse).toEqual({ baseTypeName: 'kuberouter.admin.v1.ResyncRequest', extensionNumber: [] });
    });
  });

  describe('lifecycle', () => {
    it('stops promptly with an open Watch and reflection stream, telling watchers first', async () => {
      const { server, target } = await serve(address);
      const watch = track(watchHealth(target, ''));
      expect(await watch.next()).toBe(ServingStatus.SERVING);
      const session = track(reflectionSession(target, 'v1'));
      await session.ask({ listServices: '' });

      const started = performance.now();
      await server.stop(20_000);
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(await watch.next()).toBe(ServingStatus.NOT_SERVING);
      expect((await watch.ended).code).toBe(GrpcStatus.OK);
      expect((await session.ended).code).toBe(GrpcStatus.OK);

      const client = track(connectController(target, { deadlineMs: 2_000 }));
      const after = await client.healthCheck().catch((err: unknown) => err);
      expect((after as AdminCallError).code).toBe(GrpcStatus.UNAVAILABLE);
      // Updates after stop are ignored and a second stop is a no-op.
      server.setServingStatus('', ServingStatus.SERVING);
      expect(server.servingStatus('')).toBe(ServingStatus.NOT_SERVING);
      await server.stop();
    });

    it('cancels calls still running after the grace period', async () => {
      let entered!: () => void;
      const inCall = new Promise<void>((resolve) => (entered = resolve));
      const { server, target, lines } = await serve(address, {
        ...idle,
        getStatus: () => {
          entered();
          return new Promise(() => {}); // never answers
        },
      });
      const client = track(connectController(target, { deadlineMs: 30_000 }));
      const call = client.getStatus().catch((err: unknown) => err);
      await inCall;
      const started = performance.now();
      await server.stop(300);
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(5_000);
      const failure = await call;
      expect(failure).toBeInstanceOf(AdminCallError);
      expect([GrpcStatus.CANCELLED, GrpcStatus.UNAVAILABLE, GrpcStatus.INTERNAL]).toContain((failure as AdminCallError).code);
      expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', fields: { graceMs: 300 } }));
    });

    it('refuses to start twice, services after start, and a duplicate service', async () => {
      const { server } = await serve(address);
      await expect(server.start()).rejects.toThrow(KrError);
      expect(() => server.addService(health.HealthService, {})).toThrow(/before start/);
      const fresh = new AdminServer({ address, log: recordingLogger().log });
      expect(() => fresh.addService(health.HealthService, {})).toThrow(/added twice/);
      await fresh.stop();
    });

    it('reports a port already in use', async () => {
      const { port } = await serve(address);
      const second = new AdminServer({ address: address.replace(/:0$/, `:${port}`), log: recordingLogger().log });
      const failure = await second.start().catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(KrError);
      expect((failure as KrError).message).toContain(`:${port}`);
      await second.stop();
    });
  });
});

