import { status as GrpcStatus } from '@grpc/grpc-js';
import { AddressError, ConfigError } from '@kr/errors';
import { admin, nodestate } from '@kr/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminCallError, connectController } from './client.js';
import { controllerService, type ControllerHandlers } from './controller.js';
import { AdminServer } from './server.js';
import { recordingLogger } from './testing/logger.js';

// Test IP plan: admin servers on 127.0.0.1 and ::1, ephemeral ports. Payloads carry
// pod CIDRs from 10.244.0.0/24 and fd00:10:244::/64 (never configured anywhere).
const LISTEN = [
  { family: 'IPv4', address: '127.0.0.1:0' },
  { family: 'IPv6', address: '[::1]:0' },
];
const STARTED = new Date('2025-01-02T03:04:05.678Z');

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A controller whose handlers record what they were asked. */
function fakeController() {
  const calls: { method: string; request?: unknown }[] = [];
  const handlers: ControllerHandlers = {
    getStatus: async () => {
      calls.push({ method: 'getStatus' });
      return admin.GetStatusResponse.fromPartial({
        controller: 'cni',
        node: 'node-a',
        pid: 4242,
        started: STARTED,
        health: nodestate.Health.HEALTH_HEALTHY,
        logLevel: 'info',
      });
    },
    getState: async () => {
      calls.push({ method: 'getState' });
      return admin.GetStateResponse.fromPartial({
        cni: {
          bridge: 'kube-bridge',
          mtu: 1450,
          podCidrs: [
            { family: nodestate.Family.FAMILY_IPV4, cidr: '10.244.0.0/24' },
            { family: nodestate.Family.FAMILY_IPV6, cidr: 'fd00:10:244::/64' },
          ],
        },
      });
    },
    resync: async (request) => {
      calls.push({ method: 'resync', request });
      return { queued: true };
    },
    setLogLevel: async (request) => {
      calls.push({ method: 'setLogLevel', request });
      if (request.module === 'nope') throw new ConfigError('module', 'no logger named "nope"');
      return { previous: 'info', level: request.level };
    },
  };
  return { handlers, calls };
}

async function serve(address: string, handlers: ControllerHandlers) {
  const { log, lines } = recordingLogger();
  const server = new AdminServer({ address, log });
  server.addService(...controllerService(handlers, log));
  const { address: target } = await server.start();
  cleanups.push(() => server.stop(1_000));
  const client = connectController(target, { deadlineMs: 5_000 });
  cleanups.push(() => client.close());
  return { client, lines, target, server };
}

async function failureOf(call: Promise<unknown>): Promise<AdminCallError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AdminCallError);
  return err as AdminCallError;
}

describe.each(LISTEN)('Controller service over $family loopback', ({ address }) => {
  it('answers GetStatus and GetState with what the controller returns', async () => {
    const { handlers, calls } = fakeController();
    const { client } = await serve(address, handlers);
    expect(await client.getStatus()).toMatchObject({ controller: 'cni', node: 'node-a', pid: 4242, started: STARTED, health: nodestate.Health.HEALTH_HEALTHY });
    const state = await client.getState();
    expect(state.router).toBeUndefined();
    expect(state.cni?.podCidrs.map((p) => p.cidr)).toEqual(['10.244.0.0/24', 'fd00:10:244::/64']);
    expect(calls.map((c) => c.method)).toEqual(['getStatus', 'getState']);
  });

  it('passes Resync and SetLogLevel requests through', async () => {
    const { handlers, calls } = fakeController();
    const { client } = await serve(address, handlers);
    expect(await client.resync({ full: true, reason: 'kr resync' })).toEqual({ queued: true });
    expect(await client.resync()).toEqual({ queued: true });
    expect(await client.setLogLevel({ level: 'debug', module: 'sync' })).toEqual({ previous: 'info', level: 'debug' });
    expect(calls.map((c) => c.request)).toEqual([
      { full: true, reason: 'kr resync' },
      { full: false, reason: '' },
      { level: 'debug', module: 'sync' },
    ]);
  });

  it.each([
    { name: 'an unknown level, refused before the handler', level: 'loud', module: '', code: GrpcStatus.INVALID_ARGUMENT, details: /"loud" is not one of trace, debug/, reachesHandler: false },
    { name: 'a ConfigError from the handler', level: 'warn', module: 'nope', code: GrpcStatus.INVALID_ARGUMENT, details: /module: no logger named "nope"/, reachesHandler: true },
  ])('maps $name to $code', async ({ level, module, code, details, reachesHandler }) => {
    const { handlers, calls } = fakeController();
    const { client, lines } = await serve(address, handlers);
    const err = await failureOf(client.setLogLevel({ level, module }));
    expect(err.code).toBe(code);
    expect(err.codeName).toBe('INVALID_ARGUMENT');
    expect(err.details).toMatch(details);
    expect(err.method).toBe('SetLogLevel');
    expect(calls.length > 0).toBe(reachesHandler);
    // The caller's mistake is not an error of the controller.
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it.each([
    { name: 'AddressError', thrown: () => new AddressError('10.0.0.300', 'not an IP address'), code: GrpcStatus.INVALID_ARGUMENT, logged: false },
    { name: 'any other error', thrown: () => new Error('informer cache not synced', { cause: new Error('timeout') }), code: GrpcStatus.INTERNAL, logged: true },
    { name: 'a non-Error value', thrown: () => 'plain string', code: GrpcStatus.INTERNAL, logged: true },
  ])('maps a rejected handler with $name to $code with its message', async ({ thrown, code, logged }) => {
    const { handlers } = fakeController();
    const error = thrown();
    const { client, lines } = await serve(address, { ...handlers, getState: () => Promise.reject(error) });
    const err = await failureOf(client.getState());
    expect(err.code).toBe(code);
    expect(err.details).toBe(error instanceof Error ? error.message : String(error));
    expect(err.message).toContain('GetState on ');
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors).toEqual(logged ? [expect.objectContaining({ fields: { err: error, method: 'GetState' } })] : []);
  });

  it('maps a handler that throws synchronously to INTERNAL', async () => {
    const { handlers } = fakeController();
    const { client } = await serve(address, {
      ...handlers,
      getStatus: () => {
        throw new Error('not started yet');
      },
    });
    const err = await failureOf(client.getStatus());
    expect(err.code).toBe(GrpcStatus.INTERNAL);
    expect(err.details).toBe('not started yet');
  });

  it('completes a partial response from an untyped handler instead of failing to encode it', async () => {
    const { handlers } = fakeController();
    const { client } = await serve(address, { ...handlers, getStatus: async () => ({ controller: 'proxy' }) as admin.GetStatusResponse });
    expect(await client.getStatus()).toMatchObject({ controller: 'proxy', loops: [], healthReasons: [] });
  });

  it('gives up at the deadline when a handler hangs', async () => {
    const { handlers } = fakeController();
    const { target } = await serve(address, { ...handlers, getStatus: () => new Promise(() => {}) });
    const client = connectController(target, { deadlineMs: 200 });
    cleanups.push(() => client.close());
    expect((await failureOf(client.getStatus())).code).toBe(GrpcStatus.DEADLINE_EXCEEDED);
  });

  it('fails fast with UNAVAILABLE when nothing listens', async () => {
    const { handlers } = fakeController();
    const { target, client: first, server } = await serve(address, handlers);
    await first.getStatus();
    await server.stop();
    const client = connectController(target, { deadlineMs: 3_000 });
    cleanups.push(() => client.close());
    const started = performance.now();
    const err = await failureOf(client.getStatus());
    expect(err.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(err.address).toBe(target);
    expect(performance.now() - started).toBeLessThan(2_500);
  });
});

it('refuses a malformed address before dialling', () => {
  expect(() => connectController('::1:50061')).toThrow(ConfigError);
});
