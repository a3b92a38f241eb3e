import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { KrError } from '@kr/errors';
import { health, reflection } from '@kr/proto';
import { formatAdminAddress, isLoopback, parseAdminAddress, type AdminAddress } from './address.js';
import { HealthBoard, type DeclaredServingStatus, type ServingStatus } from './health.js';
import type { AdminLogger } from './logger.js';
import { Reflection, ServerReflectionV1AlphaService } from './reflection.js';

export interface AdminServerOptions {
  /** `host:port`, `[ipv6]:port`, or a bare port meaning 127.0.0.1. Port 0 picks a free port. */
  address: string;
  log: AdminLogger;
}

export const DEFAULT_STOP_GRACE_MS = 5_000;

// Channelz stays on (the default) although nobody reads it: in grpc-js 1.14 with
// channelz off the server does not record its sessions, so forceShutdown() cannot
// cancel calls still running after tryShutdown(): they would outlive stop() and keep
// the connection (and the process) alive.
const SERVER_OPTIONS = {} as const;

/**
 * The gRPC server of a controller's admin API, with grpc.health.v1 and server
 * reflection built in.
 *
 * Security: it listens with insecure (plaintext, unauthenticated) credentials. It is
 * meant for loopback only (the default), where anyone who can connect already runs on
 * the node; a non-loopback address is accepted but warned about at start.
 */
export class AdminServer {
  readonly address: AdminAddress;
  private readonly log: AdminLogger;
  private readonly server = new Server(SERVER_OPTIONS);
  private readonly services: string[] = [];
  private readonly health = new HealthBoard();
  private readonly reflection: Reflection;
  private phase: 'new' | 'starting' | 'serving' | 'stopped' = 'new';
  private stopping: Promise<void> | undefined;

  constructor(options: AdminServerOptions) {
    this.address = parseAdminAddress(options.address);
    this.log = options.log;
    this.reflection = new Reflection(() => this.services, this.log);
    this.addService(health.HealthService, this.health.implementation);
    this.addService(reflection.ServerReflectionService, this.reflection.implementation);
    // Served for clients that only speak the pre-GA name, but not listed: the
    // descriptor set has no v1alpha file, and a listed name that cannot be described
    // breaks `grpcurl describe`. Listing v1 is enough for any client to use either.
    this.server.addService(ServerReflectionV1AlphaService, this.reflection.implementation);
  }

  /** Adds a service; its name is listed by reflection. Only before start(). */
  addService(definition: ServiceDefinition, implementation: UntypedServiceImplementation): this {
    if (this.phase !== 'new') throw new KrError('admin server: services must be added before start()');
    const name = serviceName(definition);
    if (this.services.includes(name)) throw new KrError(`admin server: service ${name} added twice`);
    this.server.addService(definition, implementation);
    this.services.push(name);
    return this;
  }

  /** Services served, fully qualified (what reflection lists). */
  get serviceNames(): readonly string[] {
    return this.services;
  }

  /** Sets the health of one service, or of the server as a whole with ''; Watch streams see it at once. */
  setServingStatus(service: string, status: DeclaredServingStatus): void {
    this.health.set(service, status);
  }

  servingStatus(service: string): ServingStatus | undefined {
    return this.health.get(service);
  }

  /** Binds and serves. Resolves with the bound port (the real one when asked for 0). */
  async start(): Promise<{ port: number; address: string }> {
    if (this.phase !== 'new') throw new KrError(`admin server: start() called when ${this.phase}`);
    this.phase = 'starting';
    const target = this.address.target;
    if (!isLoopback(this.address)) {
      this.log.warn({ address: target }, 'admin API listens beyond loopback; it has no authentication or encryption');
    }
    let port: number;
    try {
      port = await new Promise<number>((resolve, reject) => {
        this.server.bindAsync(target, ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
      });
    } catch (err) {
      this.phase = 'stopped';
      this.server.forceShutdown();
      throw new KrError(`admin server cannot listen on ${target}`, { cause: err });
    }
    this.phase = 'serving';
    const address = formatAdminAddress(this.address.host, port);
    this.log.info({ address, services: this.services }, 'admin server listening');
    return { port, address };
  }

  /**
   * Stops serving: every health status turns NOT_SERVING (watchers see it), health
   * Watch and reflection streams are ended, then calls in flight get `graceMs` to
   * finish before they are cancelled. Safe to call more than once.
   */
  stop(graceMs = DEFAULT_STOP_GRACE_MS): Promise<void> {
    this.stopping ??= this.shutdown(graceMs);
    return this.stopping;
  }

  private async shutdown(graceMs: number): Promise<void> {
    const wasServing = this.phase === 'serving';
    this.phase = 'stopped';
    this.health.shutdown();
    this.reflection.closeAll();
    if (!wasServing) {
      this.server.forceShutdown();
      return;
    }
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        this.log.warn({ graceMs }, 'admin calls still running after the grace period; cancelling them');
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown((err) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        if (err) reject(new KrError('admin server shutdown failed', { cause: err }));
        else resolve();
      });
    });
    this.log.info({}, 'admin server stopped');
  }
}

/** `pkg.Service` from the paths of a service definition (`/pkg.Service/Method`). */
function serviceName(definition: ServiceDefinition): string {
  const paths = Object.values(definition).map((method) => /^\/([^/]+)\/[^/]+$/.exec(method.path)?.[1]);
  const name = paths[0];
  if (!name || paths.some((p) => p !== name)) {
    throw new KrError(`admin server: not a service definition (method paths: ${paths.join(', ') || 'none'})`);
  }
  return name;
}
