// ApiServerSimulator: an in-memory stand-in for kube-apiserver plus the parts of
// kube-controller-manager and kube-scheduler our controllers rely on (EndpointSlice
// controller, node IPAM, namespace lifecycle, a minimal scheduler), speaking the
// Kubernetes wire protocol over HTTP on TCP and unix sockets. It is a simulator for tests
// and the sandbox, not an API server: no authentication, no admission webhooks, no
// protobuf, no CRDs, one API version per group.
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '@kr/errors';
import { parseCIDR, type Cidr } from '@kr/ip';
import { EndpointSliceController } from './simulator-endpointslices.js';
import { SimulatorHttp } from './simulator-http.js';
import { NodeIpamController } from './simulator-nodeipam.js';
import { Registry, SYSTEM_NAMESPACES } from './simulator-registry.js';
import { ENDPOINT_SLICE, NAMESPACE, RESOURCE_TYPES, SERVICE } from './simulator-resources.js';
import { Scheduler } from './simulator-scheduler.js';
import { ServiceAllocator, type InUse, type NodePortRange } from './simulator-service-allocator.js';
import { SnapshotWriter, loadSnapshot } from './simulator-snapshot.js';
import { SimulatorStore } from './simulator-store.js';
import { asList, asObj } from './simulator-validation.js';

export type ListenAddress = { readonly host: string; readonly port: number } | { readonly path: string };

export type SimulatorLog = (message: string, fields?: Record<string, unknown>) => void;

export interface ApiServerSimulatorOptions {
  /** One or two service CIDRs (--service-cluster-ip-range); the first is the default family. */
  readonly serviceCidrs: readonly string[];
  /** Zero, one or two cluster CIDRs (--cluster-cidr) for node pod-CIDR allocation. */
  readonly clusterCidrs: readonly string[];
  /** Default 24. */
  readonly nodeCidrMaskSizeIPv4?: number;
  /** Default 64. */
  readonly nodeCidrMaskSizeIPv6?: number;
  /** `min-max`, default `30000-32767` (--service-node-port-range). */
  readonly nodePortRange?: string;
  /** Where to listen: TCP host/port (port 0 picks a free one) and/or unix socket paths. */
  readonly listen: readonly ListenAddress[];
  /** Load state from this JSON file at start and save it (debounced) after changes. */
  readonly snapshotFile?: string;
  readonly log?: SimulatorLog;
  /** Server-side watch timeout when the client sends none (default 1800 s, randomised up to 2x). */
  readonly watchTimeoutSeconds?: number;
  /** Interval of BOOKMARK events on watches that allow them (default 60 s). */
  readonly bookmarkIntervalMs?: number;
  /** Changes kept for watch replay before older ones are compacted (default 10000). */
  readonly historyLimit?: number;
  /** Pods on existing nodes are deleted gracefully (deletionTimestamp, kubelet confirms); default true. */
  readonly podGracefulDeletion?: boolean;
  /** Bind pods without nodeName to nodes (default true). */
  readonly scheduler?: boolean;
  /**
   * The default/kubernetes Service (first address of the primary service CIDR), as
   * kube-apiserver creates it; with `endpoint`, also its EndpointSlice. Default: the
   * Service without endpoints.
   */
  readonly kubernetesService?: false | { readonly endpoint?: { readonly address: string; readonly port: number } };
}

function parseNodePortRange(text: string): NodePortRange {
  const m = /^([0-9]+)-([0-9]+)$/.exec(text);
  const [min, max] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!(min >= 1 && max <= 65535 && min <= max)) throw new ConfigError('--service-node-port-range', `${JSON.stringify(text)} is not a port range like 30000-32767`);
  return { min, max };
}

function parseCidrs(flag: string, values: readonly string[], min: number): Cidr[] {
  if (values.length < min || values.length > 2) throw new ConfigError(flag, `expected ${min === 1 ? 'one or two' : 'at most two'} CIDRs, got ${values.length}`);
  const cidrs = values.map((value) => {
    try {
      return parseCIDR(value, { strict: true });
    } catch (err) {
      throw new ConfigError(flag, `${JSON.stringify(value)} is not a CIDR`, { cause: err });
    }
  });
  if (cidrs.length === 2 && cidrs[0]?.family === cidrs[1]?.family) throw new ConfigError(flag, 'two CIDRs must be of different families (dual-stack)');
  return cidrs;
}

export class ApiServerSimulator {
  /** http://host:port of every TCP listener. */
  readonly urls: string[] = [];
  /** Paths of every unix socket listener. */
  readonly socketPaths: string[] = [];

  private constructor(
    readonly store: SimulatorStore,
    readonly registry: Registry,
    readonly allocator: ServiceAllocator,
    private readonly http: SimulatorHttp,
    private readonly controllers: ReadonlyArray<{ idle(): Promise<void> }>,
    private readonly servers: http.Server[],
    private readonly snapshot: SnapshotWriter | undefined,
  ) {}

  /** The first TCP URL (what a kubeconfig points at). */
  get url(): string {
    const url = this.urls[0];
    if (!url) throw new ConfigError('listen', 'the simulator has no TCP listener');
    return url;
  }

  static async start(options: ApiServerSimulatorOptions): Promise<ApiServerSimulator> {
    const log: SimulatorLog = options.log ?? (() => undefined);
    const serviceCidrs = parseCidrs('--service-cidrs', options.serviceCidrs, 1);
    const clusterCidrs = parseCidrs('--cluster-cidrs', options.clusterCidrs, 0);
    if (options.listen.length === 0) throw new ConfigError('listen', 'at least one listen address is required');
    const store = new SimulatorStore(options.historyLimit !== undefined ? { historyLimit: options.historyLimit } : {});
    if (options.snapshotFile) {
      const dump = await loadSnapshot(options.snapshotFile);
      if (dump) {
        store.load(dump, RESOURCE_TYPES);
        log('loaded snapshot', { file: options.snapshotFile, resourceVersion: dump.resourceVersion });
      }
    }
    const inUse = (excludeKey?: string): InUse => {
      const ips = new Set<string>();
      const nodePorts = new Set<number>();
      for (const svc of store.list(SERVICE)) {
        if (`${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}` === excludeKey) continue;
        const spec = asObj(svc.spec);
        for (const ip of asList(spec.clusterIPs)) if (typeof ip === 'string' && ip !== 'None') ips.add(ip);
        for (const port of asList(spec.ports)) if (typeof asObj(port).nodePort === 'number') nodePorts.add(asObj(port).nodePort as number);
        if (typeof spec.healthCheckNodePort === 'number') nodePorts.add(spec.healthCheckNodePort);
      }
      return { ips, nodePorts };
    };
    const allocator = new ServiceAllocator(serviceCidrs, parseNodePortRange(options.nodePortRange ?? '30000-32767'), inUse);
    const registry = new Registry(store, allocator, options.podGracefulDeletion === undefined ? {} : { podGracefulDeletion: options.podGracefulDeletion });
    bootstrap(registry, allocator, options.kubernetesService);
    const controllers: Array<{ idle(): Promise<void> }> = [new EndpointSliceController(registry, log)];
    if (clusterCidrs.length) {
      controllers.push(
        new NodeIpamController(registry, { clusterCidrs, maskSizeIPv4: options.nodeCidrMaskSizeIPv4 ?? 24, maskSizeIPv6: options.nodeCidrMaskSizeIPv6 ?? 64 }, log),
      );
    }
    if (options.scheduler !== false) controllers.push(new Scheduler(registry, log));
    const snapshot = options.snapshotFile
      ? new SnapshotWriter(options.snapshotFile, store, (err) => log('snapshot write failed', { err: String(err) }))
      : undefined;
    const httpLayer = new SimulatorHttp(registry, {
      ...(options.watchTimeoutSeconds !== undefined ? { watchTimeoutSeconds: options.watchTimeoutSeconds } : {}),
      ...(options.bookmarkIntervalMs !== undefined ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {}),
      log,
    });
    const servers: http.Server[] = [];
    const simulator = new ApiServerSimulator(store, registry, allocator, httpLayer, controllers, servers, snapshot);
    try {
      for (const address of options.listen) {
        const server = http.createServer(httpLayer.handle);
        // Watches are long-lived; the server's own timeouts must not cut them.
        server.requestTimeout = 0;
        server.headersTimeout = 60_000;
        server.keepAliveTimeout = 60_000;
        servers.push(server);
        if ('path' in address) {
          await rm(address.path, { force: true });
          server.listen(address.path);
          await once(server, 'listening');
          simulator.socketPaths.push(address.path);
        } else {
          server.listen(address.port, address.host);
          await once(server, 'listening');
          const { port } = server.address() as AddressInfo;
          simulator.urls.push(`http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${port}`);
        }
      }
    } catch (err) {
      await simulator.stop();
      throw err;
    }
    log('API server simulator listening', { urls: simulator.urls, sockets: simulator.socketPaths, resourceVersion: store.resourceVersion });
    return simulator;
  }

  /** Resolves when the in-process controllers have nothing queued. */
  async settle(): Promise<void> {
    for (let round = 0; round < 5; round++) {
      await new Promise((resolve) => setImmediate(resolve));
      await Promise.all(this.controllers.map((c) => c.idle()));
    }
  }

  /** Forgets watch history up to now: watches from an older resourceVersion get 410 Gone. */
  compact(): void {
    this.store.compact();
  }

  /** Ends every open watch stream, as a restarting API server or a dropped connection would. */
  closeWatches(): void {
    this.http.closeWatches();
  }

  get openWatches(): number {
    return this.http.openWatches;
  }

  /** Closes listeners and watches, and writes the snapshot. */
  async stop(): Promise<void> {
    this.http.closeWatches();
    await Promise.all(
      this.servers.map(async (server) => {
        if (!server.listening) return;
        const closed = once(server, 'close');
        server.close();
        server.closeAllConnections();
        await closed;
      }),
    );
    await this.snapshot?.close();
    await Promise.all(this.socketPaths.map((path) => rm(path, { force: true })));
  }
}

/** What kube-apiserver creates at start: system namespaces and default/kubernetes. */
function bootstrap(registry: Registry, allocator: ServiceAllocator, kubernetes: ApiServerSimulatorOptions['kubernetesService']): void {
  for (const name of SYSTEM_NAMESPACES) {
    if (!registry.store.peek(NAMESPACE, undefined, name)) registry.create(NAMESPACE, undefined, { metadata: { name } });
  }
  if (kubernetes === false) return;
  if (!registry.store.peek(SERVICE, 'default', 'kubernetes')) {
    registry.create(SERVICE, 'default', {
      metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { clusterIP: allocator.firstAddress(), ipFamilyPolicy: 'SingleStack', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] },
    });
  }
  const endpoint = kubernetes?.endpoint;
  if (endpoint && !registry.store.peek(ENDPOINT_SLICE, 'default', 'kubernetes')) {
    registry.create(ENDPOINT_SLICE, 'default', {
      metadata: { name: 'kubernetes', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: endpoint.address.includes(':') ? 'IPv6' : 'IPv4',
      endpoints: [{ addresses: [endpoint.address], conditions: { ready: true } }],
      ports: [{ name: 'https', port: endpoint.port, protocol: 'TCP' }],
    });
  }
}

export function startApiServerSimulator(options: ApiServerSimulatorOptions): Promise<ApiServerSimulator> {
  return ApiServerSimulator.start(options);
}
