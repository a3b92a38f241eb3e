// The process every controller binary is: flags → logger/metrics/health → admin API →
// bus → API informers → sync runner → section publishing, and an orderly stop on
// SIGTERM. A controller supplies only its flags and its logic (compute, plan, apply);
// everything here is the same for all four, so it lives once.
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { AdminServer, ServingStatus, controllerService } from '@kr/admin';
import { Bus, resyncSubject, type SectionName } from '@kr/bus';
import { ConfigError, errorMessage } from '@kr/errors';
import {
  Informer,
  KubeClient,
  loadClientConfig,
  objectKey,
  type InformerOptions,
  type KubeObject,
  type ResourceDescriptor,
} from '@kr/k8s';
import {
  createControllerMetrics,
  createLogger,
  createMetricsRegistry,
  HealthTracker,
  isLogLevel,
  startHttpEndpoints,
  type ControllerMetrics,
  type HttpEndpoints,
  type Logger,
  type Registry,
  type RootLogger,
} from '@kr/observability';
import { admin, nodestate } from '@kr/proto';
import { SyncRunner, type SyncRequest, type SyncResult } from '@kr/runner';
import { commonFlagSpecs } from './common-flags.js';
import { commonConfig, type CommonConfig } from './config.js';
import { formatHelp, parseFlags, type FlagSpec, type FlagValues } from './flags.js';
import { SectionBuilder, durationOf, type SectionBody } from './section.js';

export const VERSION = '0.1.0';

export interface RunnerTiming {
  /** Least time between two sync starts. */
  readonly minIntervalMs: number;
  readonly retryIntervalMs: number;
  readonly maxRetryIntervalMs: number;
  /** The periodic full sync that repairs drift. */
  readonly maxIntervalMs: number;
}

export const DEFAULT_RUNNER_TIMING: RunnerTiming = {
  minIntervalMs: 1_000,
  retryIntervalMs: 1_000,
  maxRetryIntervalMs: 30_000,
  maxIntervalMs: 300_000,
};

/** What a controller's logic gets to work with. */
export interface ControllerContext<Values> {
  readonly controller: SectionName;
  readonly config: CommonConfig;
  /** Every flag value, common and controller-specific. */
  readonly flags: Values;
  readonly root: RootLogger;
  /** A logger with `module=<name>`. */
  log(module: string): Logger;
  readonly registry: Registry;
  readonly metrics: ControllerMetrics;
  readonly kube: KubeClient;
  readonly bus: Bus;
  /**
   * Watches a kind. Every add/update/delete triggers a partial sync with the object's
   * key (`<plural>/<namespace>/<name>`); the first sync waits for every informer's list.
   */
  informer<T extends KubeObject>(resource: ResourceDescriptor<T>, options?: InformerOptions<T>): Informer<T>;
  /** Asks for a sync (coalesced by the runner). */
  trigger(reason: string, keys?: Iterable<string>): void;
  /** Publishes the section now (the logic's body changed outside a sync). */
  publish(): void;
}

export interface ControllerLogic<S extends SectionName> {
  /** One reconcile round: compute, plan, apply. Throw to fail it (the runner retries). */
  sync(request: SyncRequest): Promise<void>;
  /** The section's body as of now; the runtime adds the header. */
  section(): SectionBody<S>;
  /** Called once on SIGTERM after the runner stopped; the dataplane stays in place. */
  stop?(): Promise<void>;
  /** gRPC services of this controller served next to the common Controller service. */
  adminServices?(): readonly (readonly [ServiceDefinition, UntypedServiceImplementation])[];
}

export interface ControllerDefinition<S extends SectionName, Extra extends readonly FlagSpec[]> {
  readonly name: S;
  readonly binary: string;
  readonly description: string;
  readonly flags: Extra;
  readonly runnerTiming?: (values: FlagValues<Extra>) => Partial<RunnerTiming>;
  /** kube-router's name for this controller's sync-time metric, where it has one. */
  readonly syncTime?: { name: string; help: string };
  /**
   * Cross-flag validation of the controller's own flags, run before anything starts:
   * a ConfigError here exits 2 with the message, like a bad flag value.
   */
  validate?(values: FlagValues<ReturnType<typeof commonFlagSpecs>> & FlagValues<Extra>, common: CommonConfig): void;
  create(ctx: ControllerContext<FlagValues<ReturnType<typeof commonFlagSpecs>> & FlagValues<Extra>>): ControllerLogic<S>;
}

/**
 * Runs a controller binary: parses argv, and on bad flags prints the reason and exits 2.
 * Resolves when the process should exit, with its exit code.
 */
export async function runController<S extends SectionName, const Extra extends readonly FlagSpec[]>(
  def: ControllerDefinition<S, Extra>,
  argv: readonly string[] = process.argv.slice(2),
): Promise<number> {
  const specs = [...commonFlagSpecs(def.name), ...def.flags] as const;
  let values: Record<string, unknown>;
  let config: CommonConfig;
  try {
    const parsed = parseFlags(specs, argv);
    if (parsed.kind === 'help') {
      process.stdout.write(formatHelp(`${def.binary} [flags]`, def.description, specs));
      return 0;
    }
    if (parsed.kind === 'version') {
      process.stdout.write(`${def.binary} ${VERSION} (node ${process.version})\n`);
      return 0;
    }
    values = parsed.values as Record<string, unknown>;
    config = commonConfig(parsed.values as never);
    def.validate?.(parsed.values as never, config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${def.binary}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  let kubeConfig;
  try {
    kubeConfig = await loadClientConfig({ kubeconfig: config.kubeconfig || undefined, master: config.master || undefined });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${def.binary}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  const agent = new Agent(def, config, values, kubeConfig);
  return agent.run();
}

type AnyDefinition = ControllerDefinition<SectionName, readonly FlagSpec[]>;

class Agent {
  readonly #def: AnyDefinition;
  readonly #config: CommonConfig;
  readonly #values: Record<string, unknown>;
  readonly #root: RootLogger;
  readonly #log: Logger;
  readonly #registry: Registry;
  readonly #metrics: ControllerMetrics;
  readonly #health = new HealthTracker();
  readonly #bus: Bus;
  readonly #kube: KubeClient;
  readonly #informers: Informer<KubeObject>[] = [];
  readonly #section: SectionBuilder<SectionName>;
  readonly #started = new Date();
  readonly #admin: AdminServer;
  #runner: SyncRunner | undefined;
  #logic: ControllerLogic<SectionName> | undefined;
  #http: HttpEndpoints | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #lastResult: SyncResult | undefined;
  #lastSyncAt: Date | undefined;
  #stopping = false;
  #syncs = 0;
  #apiSince = new Date();
  #apiConnected = false;
  readonly #apiEndpoint: string;

  constructor(def: AnyDefinition, config: CommonConfig, values: Record<string, unknown>, kubeConfig: Awaited<ReturnType<typeof loadClientConfig>>) {
    this.#def = def;
    this.#config = config;
    this.#values = values;
    this.#root = createLogger({ name: def.name, level: config.logLevel, node: config.node });
    this.#log = this.#root.child('agent');
    this.#registry = createMetricsRegistry({ controller: def.name, node: config.node, version: VERSION });
    this.#metrics = createControllerMetrics({
      registry: this.#registry,
      controller: def.name,
      health: this.#health,
      ...(def.syncTime ? { syncTime: def.syncTime } : {}),
    });
    this.#bus = new Bus({ servers: config.natsUrl, name: def.binary, log: this.#root.child('bus') });
    this.#kube = new KubeClient(kubeConfig);
    this.#apiEndpoint = kubeConfig.server;
    this.#section = new SectionBuilder(def.name);
    this.#admin = new AdminServer({ address: `${config.admin.host.includes(':') ? `[${config.admin.host}]` : config.admin.host}:${config.admin.port}`, log: this.#root.child('admin') });
  }

  async run(): Promise<number> {
    const timing = { ...DEFAULT_RUNNER_TIMING, ...(this.#def.runnerTiming?.(this.#values as never) ?? {}) };
    // Loops that /healthz watches: the sync loop must complete a round at least once per
    // periodic interval; the heartbeat loop proves the event loop itself is not stuck.
    this.#health.register({ name: 'sync', periodMs: timing.maxIntervalMs, startupGraceMs: this.#config.cacheSyncTimeoutMs });
    this.#health.register({ name: 'heartbeat', periodMs: this.#config.heartbeatMs });

    const stopped = Promise.withResolvers<number>();
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.#stopping) {
        this.#log.warn({ signal }, 'second signal, exiting now');
        process.exit(1);
      }
      this.#log.info({ signal }, 'stopping');
      void this.stop().then(() => stopped.resolve(0), (err: unknown) => {
        this.#log.error({ err }, 'error while stopping');
        stopped.resolve(1);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);

    try {
      await this.start(timing);
    } catch (err) {
      this.#log.fatal({ err }, 'cannot start');
      await this.stop().catch(() => undefined);
      return 1;
    }
    const code = await stopped.promise;
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    return code;
  }

  private async start(timing: RunnerTiming): Promise<void> {
    const c = this.#config;
    this.#log.info(
      { version: VERSION, families: c.familyList, admin: `${c.admin.host}:${c.admin.port}`, nats: c.natsUrl },
      `${this.#def.binary} starting`,
    );
    this.#http = await startHttpEndpoints({
      ...(c.metrics ? { metrics: { port: c.metrics.port, path: c.metrics.path, registry: this.#registry } } : {}),
      ...(c.health ? { health: { port: c.health.port, tracker: this.#health } } : {}),
      ...((c.metrics?.host || c.health?.host) ? { host: c.metrics?.host || c.health?.host } : {}),
      log: this.#root.child('http'),
    });

    this.#admin.addService(
      ...controllerService(
        {
          getStatus: async () => this.status(),
          getState: async () => this.stateResponse(),
          resync: async (req) => this.resync(req),
          setLogLevel: async (req) => this.setLogLevel(req),
        },
        this.#root.child('admin'),
      ),
    );
    this.#bus.onStatus(() => this.publish());
    this.#bus.start();
    this.#bus.subscribe(resyncSubject(this.#def.name), (req) => void this.resync(req));

    const ctx = {
      controller: this.#def.name,
      config: c,
      flags: this.#values,
      root: this.#root,
      log: (module: string) => this.#root.child(module),
      registry: this.#registry,
      metrics: this.#metrics,
      kube: this.#kube,
      bus: this.#bus,
      informer: <T extends KubeObject>(resource: ResourceDescriptor<T>, options?: InformerOptions<T>) => this.informer(resource, options),
      trigger: (reason: string, keys?: Iterable<string>) => this.#runner?.trigger(reason, keys, Date.now()),
      publish: () => this.publish(),
    };
    this.#logic = this.#def.create(ctx as never);
    // A controller's own admin services (e.g. the router's peers/routes) must be added
    // before the server starts.
    for (const [definition, implementation] of this.#logic.adminServices?.() ?? []) {
      this.#admin.addService(definition, implementation);
    }
    await this.#admin.start();
    this.#admin.setServingStatus('', ServingStatus.NOT_SERVING);

    this.#runner = new SyncRunner({
      name: this.#def.name,
      ...timing,
      sync: (req) => this.#logic!.sync(req),
      onResult: (r) => this.onSyncResult(r),
    });

    this.#heartbeat = setInterval(() => {
      this.#health.beat('heartbeat');
      this.publish();
    }, c.heartbeatMs);
    this.#health.beat('heartbeat');
    this.publish();

    for (const inf of this.#informers) inf.start();
    // The first sync waits for complete lists (a partial view would delete real state);
    // until then the process is STARTING, and past --cache-sync-timeout /healthz fails.
    void Promise.all(this.#informers.map((i) => i.synced)).then(
      () => {
        this.#log.info({ kinds: this.#informers.map((i) => i.resource.plural) }, 'caches synced');
        this.#runner?.start();
      },
      () => undefined,
    );
  }

  private informer<T extends KubeObject>(resource: ResourceDescriptor<T>, options: InformerOptions<T> = {}): Informer<T> {
    const log = this.#root.child('informer');
    const inf = new Informer<T>(this.#kube, resource, {
      ...options,
      onHandlerError: (err, event, obj) => log.error({ err, event, kind: resource.kind, object: objectKey(obj) }, 'handler failed'),
    });
    const trigger = (obj: T, what: string) => this.#runner?.trigger(`${resource.kind} ${what}`, [`${resource.plural}/${objectKey(obj)}`], Date.now());
    inf.addHandlers({
      onAdd: (o) => trigger(o, 'added'),
      onUpdate: (_, o) => trigger(o, 'updated'),
      onDelete: (o) => trigger(o, 'deleted'),
    });
    inf.onStatusChange(() => this.onApiStatus());
    this.#informers.push(inf as unknown as Informer<KubeObject>);
    return inf;
  }

  private onApiStatus(): void {
    const connected = this.#informers.every((i) => i.status().connected);
    if (connected !== this.#apiConnected) {
      this.#apiConnected = connected;
      this.#apiSince = new Date();
      const err = this.#informers.map((i) => i.status().lastError).find((e) => e);
      if (connected) this.#log.info('API reachable');
      else this.#log.warn({ err: err ? errorMessage(err) : undefined }, 'API unreachable, retrying');
      this.publish();
    }
  }

  /** Changes are queued or a sync runs (before the first sync: always). */
  private syncPending(): boolean {
    const s = this.#runner?.status();
    if (!s || !this.#lastResult) return true;
    return s.inFlight || s.pending || !this.#lastResult.ok;
  }

  private onSyncResult(r: SyncResult): void {
    this.#syncs++;
    this.#lastResult = r;
    this.#lastSyncAt = new Date();
    this.#health.beat('sync');
    this.#metrics.observeSync({ mode: r.full ? 'full' : 'partial', durationMs: r.durationMs, ...(r.ok ? {} : { error: r.error }) });
    if (r.ok && r.oldestEventAt !== undefined) this.#metrics.observeProgrammingLatency(r.oldestEventAt);
    if (r.ok) {
      this.#log.debug({ full: r.full, ms: Math.round(r.durationMs), keys: r.keys.size }, 'synced');
    } else {
      this.#log.error({ err: r.error, full: r.full, reasons: r.reasons.slice(0, 5) }, 'sync failed, will retry');
    }
    this.publish();
  }

  /** Health as the section header and GetStatus report it, with reasons. */
  private health(): { health: nodestate.Health; reasons: string[] } {
    const reasons: string[] = [];
    if (this.#stopping) return { health: nodestate.Health.HEALTH_STOPPING, reasons: ['stopping'] };
    const stale = this.#health.stale();
    for (const l of stale) reasons.push(`loop ${l.name} has not beaten for ${Math.round(l.ageMs / 1000)}s`);
    if (!this.#bus.status.connected) reasons.push(`bus unreachable${this.#bus.status.lastError ? `: ${errorMessage(this.#bus.status.lastError)}` : ''}`);
    if (!this.#apiConnected && this.#informers.length > 0) reasons.push('Kubernetes API unreachable');
    if (this.#lastResult && !this.#lastResult.ok) reasons.push(`last sync failed: ${errorMessage(this.#lastResult.error)}`);
    if (stale.length > 0) return { health: nodestate.Health.HEALTH_FAILING, reasons };
    if (!this.#lastResult) return { health: nodestate.Health.HEALTH_STARTING, reasons: [...reasons, 'waiting for the first sync'] };
    if (reasons.length > 0) return { health: nodestate.Health.HEALTH_DEGRADED, reasons };
    return { health: nodestate.Health.HEALTH_HEALTHY, reasons };
  }

  private currentSection() {
    const { health, reasons } = this.health();
    const body = this.#logic?.section() ?? {};
    return this.#section.build(
      body as SectionBody<SectionName>,
      {
        node: this.#config.node,
        version: VERSION,
        started: this.#started,
        heartbeatMs: this.#config.heartbeatMs,
        health,
        reasons,
        ...(this.#lastSyncAt ? { lastSync: this.#lastSyncAt } : {}),
        ...(this.#lastResult ? { lastSyncDurationMs: this.#lastResult.durationMs } : {}),
        lastError: this.#lastResult && !this.#lastResult.ok ? errorMessage(this.#lastResult.error) : '',
        syncPending: this.syncPending(),
        syncs: this.#syncs,
      },
      new Date(),
    );
  }

  private publish(): void {
    const section = this.currentSection();
    const serving = section.header?.health === nodestate.Health.HEALTH_HEALTHY || section.header?.health === nodestate.Health.HEALTH_DEGRADED;
    this.#admin.setServingStatus('', serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    this.#bus.publishSection(this.#def.name, section as never);
  }

  private status(): admin.GetStatusResponse {
    const section = this.currentSection();
    const bus = this.#bus.status;
    return admin.GetStatusResponse.fromPartial({
      controller: this.#def.name,
      node: this.#config.node,
      version: VERSION,
      pid: process.pid,
      started: this.#started,
      health: section.header?.health ?? nodestate.Health.HEALTH_UNSPECIFIED,
      healthReasons: section.header?.healthReasons ?? [],
      loops: this.#health.status().map((l) => ({
        name: l.name,
        ...(l.lastBeat !== undefined ? { lastBeat: new Date(l.lastBeat) } : {}),
        period: durationOf(l.periodMs),
        healthy: l.healthy,
      })),
      api: {
        endpoint: this.#apiEndpoint,
        connected: this.#apiConnected,
        since: this.#apiSince,
        lastError: errorMessage(this.#informers.map((i) => i.status().lastError).find((e) => e) ?? ''),
      },
      bus: {
        endpoint: this.#config.natsUrl,
        connected: bus.connected,
        ...(bus.since ? { since: bus.since } : {}),
        lastError: bus.lastError ? errorMessage(bus.lastError) : '',
      },
      header: section.header,
      logLevel: this.#root.level(),
    });
  }

  private stateResponse(): admin.GetStateResponse {
    return admin.GetStateResponse.fromPartial({ [this.#def.name]: this.currentSection() } as admin.GetStateResponse);
  }

  private async resync(req: admin.ResyncRequest): Promise<admin.ResyncResponse> {
    if (!this.#runner || this.#stopping) return { queued: false };
    const reason = req.reason || 'resync requested';
    if (req.full) this.#runner.triggerFull(reason);
    else this.#runner.trigger(reason, [], Date.now());
    this.#log.info({ full: req.full, reason }, 'resync queued');
    return { queued: true };
  }

  private async setLogLevel(req: admin.SetLogLevelRequest): Promise<admin.SetLogLevelResponse> {
    if (!isLogLevel(req.level)) throw new ConfigError('level', `${JSON.stringify(req.level)} is not a log level`);
    const previous = this.#root.setLevel(req.level, req.module || undefined);
    this.#log.info({ level: req.level, module: req.module || undefined, previous }, 'log level changed');
    return { previous, level: req.level };
  }

  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.publish();
    await this.#runner?.stop();
    await this.#logic?.stop?.();
    await Promise.all(this.#informers.map((i) => i.stop()));
    this.#kube.close();
    this.publish();
    await this.#bus.stop();
    await this.#admin.stop(2_000);
    await this.#http?.close();
    this.#log.info('stopped');
  }
}
