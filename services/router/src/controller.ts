// kr-router: kube-router's --run-router, per family, driving the gobgpd sidecar over its
// gRPC API. One reconcile round:
//   1. compute (pure): the BGP server, peers, advertised paths, defined sets and policies
//      from the Node/Service/EndpointSlice caches and the flags;
//   2. GoBGP: start it when it is not running (a restarted sidecar is empty), list its
//      state, plan the differences, apply them;
//   3. kernel: GoBGP's best paths → routes (direct, or over an overlay tunnel) and the pod
//      egress masquerade table, each synced by diff against what the kernel has; after
//      this process started the BGP server, nothing is removed until the RIB is complete
//      again (model/rib-warmup.ts), so a restarted sidecar does not cut the pods off.
// GoBGP's best-path stream only triggers syncs; each sync lists the RIB itself, so a
// missed event or a restarted gobgpd can never leave stale routes behind.
import { readFileSync } from 'node:fs';
import { InputProblems, type ControllerDefinition } from '@kr/agent';
import { SyncError, errorMessage } from '@kr/errors';
import type { Cidr, IPAddress } from '@kr/ip';
import { ENDPOINT_SLICES, NODES, SERVICES } from '@kr/k8s';
import { KUBE_ROUTER_SYNC_TIMES } from '@kr/observability';
import { routerAdminService } from './admin.js';
import { NO_ROUTER_FACTS, type RouterAdminFacts } from './admin-views.js';
import { routerConfig, routerFlagSpecs, type RouterConfig } from './config.js';
import { applyBgpPlan, bestPaths, observeBgp } from './dataplane/bgp-sync.js';
import { GobgpClient, bgpGlobalEquals, gobgpTarget, type BestPathWatch } from './dataplane/gobgp/index.js';
import { connectedSubnets, localAddresses } from './dataplane/host.js';
import { KernelRoutes, KernelTunnels, PodEgress, tunnelOverhead, tunnelRoute, type KernelRoute, type TunnelSpec as KernelTunnel } from './dataplane/kernel/index.js';
import { createRouterMetrics } from './metrics.js';
import {
  computeAdvertisements,
  computeClusterView,
  computePeers,
  computePolicies,
  computeRoutes,
  ribWarmup,
  type DesiredRoute,
  type TunnelSpec,
} from './model/index.js';
import { planBgp, planSize } from './plan/bgp.js';
import { routerSection } from './section.js';

const FLAGS = routerFlagSpecs();
/** How long every peer must have been Established before the RIB counts as complete. */
const RIB_SETTLE_MS = 3_000;

function kernelTunnel(t: TunnelSpec): KernelTunnel {
  return {
    name: t.name,
    encap: t.encap,
    family: t.family,
    local: t.local,
    remote: t.remote,
    ...(t.port !== undefined ? { port: t.port } : {}),
    ...(t.vni !== undefined ? { vni: t.vni } : {}),
  };
}

function kernelRoute(r: DesiredRoute): KernelRoute {
  if (r.path === 'tunnel' && r.tunnel) return tunnelRoute(kernelTunnel(r.tunnel), r.prefix, r.src);
  return { prefix: r.prefix, family: r.family, via: r.via, ...(r.dev ? { dev: r.dev } : {}) };
}

export const routerController: ControllerDefinition<'router', typeof FLAGS> = {
  name: 'router',
  binary: 'kr-router',
  description: 'kr-router: the routing controller of kube-router-ts (BGP via a GoBGP sidecar, routes, tunnels, pod egress).',
  flags: FLAGS,
  syncTime: KUBE_ROUTER_SYNC_TIMES.routes,
  runnerTiming: (v) => ({ maxIntervalMs: Math.min(v['injected-routes-sync-period'], v['routes-sync-period']) }),
  validate(values, common) {
    routerConfig(values as never, { families: common.families, readFile: (p) => readFileSync(p, 'utf8') });
  },
  create(ctx) {
    const log = ctx.log('router');
    const families = ctx.config.families;
    const familyList = ctx.config.familyList;
    const cfg: RouterConfig = routerConfig(ctx.flags as never, { families, readFile: (p) => readFileSync(p, 'utf8') });
    const problems = new InputProblems(log);
    const metrics = createRouterMetrics(ctx.registry);
    const nodes = ctx.informer(NODES);
    const services = ctx.informer(SERVICES);
    const slices = ctx.informer(ENDPOINT_SLICES);
    const gobgp = new GobgpClient({ target: gobgpTarget(cfg.gobgp.host, cfg.gobgp.port) });
    const routes = new KernelRoutes();
    const tunnels = new KernelTunnels({}, { fouPorts: [cfg.overlay.port], ipv6: families.ipv6 });
    const egress = new PodEgress();
    let watch: BestPathWatch | undefined;
    // Set when this process starts the BGP server: its RIB is empty until the sessions
    // are back, so kernel routes are not removed meanwhile (model/rib-warmup.ts).
    let bgpStartedAt: number | undefined;
    let warmupTimer: NodeJS.Timeout | undefined;
    let facts: RouterAdminFacts = NO_ROUTER_FACTS;

    // A broken stream means gobgpd went away: the next sync finds it empty (or down) and
    // re-creates everything.
    const startWatch = () => {
      watch?.close();
      watch = gobgp.watchBestPaths(
        () => ctx.trigger('bgp best paths changed', ['bgp/best']),
        (err) => {
          if (err) {
            log.warn({ err: errorMessage(err) }, 'GoBGP watch ended; will re-create BGP state');
            watch = undefined;
            ctx.trigger('gobgp watch ended', ['bgp/restart']);
          }
        },
      );
    };
    gobgp.onDisconnect(() => {
      watch = undefined;
      ctx.trigger('gobgp disconnected', ['bgp/restart']);
    });

    async function ensureBgp(global: NonNullable<ReturnType<typeof computePeers>['global']>): Promise<void> {
      const running = await gobgp.getBgp();
      if (running && !bgpGlobalEquals(global, running)) {
        // ASN, router id and listen addresses cannot change on a running server.
        log.warn({ from: running, to: global }, 'BGP server settings changed: restarting the BGP server');
        await gobgp.stopBgp();
        await gobgp.startBgp(global);
        bgpStartedAt = Date.now();
        startWatch();
      } else if (!running) {
        log.info({ asn: global.asn, routerId: global.routerId }, 'starting the BGP server');
        await gobgp.startBgp(global);
        bgpStartedAt = Date.now();
        startWatch();
      } else if (!watch) {
        startWatch();
      }
    }

    return {
      async sync(req) {
        const node = ctx.config.node;
        const allNodes = nodes.list();
        const self = nodes.get(node);
        if (!self) throw new SyncError(`node ${node} is not in the API (check --hostname-override)`);
        const peers = computePeers({ self, nodes: allNodes, config: cfg, families });
        const adv = computeAdvertisements({ self, services: services.list(), endpointSlices: slices.list(), config: cfg, families });
        const cluster = computeClusterView(allNodes, families);
        for (const n of allNodes) {
          const name = n.metadata?.name ?? '';
          problems.report(name, [...peers.problems, ...adv.problems].filter((p) => p.object === name || p.object.endsWith(`/${name}`)));
        }
        problems.retain(new Set(allNodes.map((n) => n.metadata?.name ?? '')));
        if (!peers.global) throw new SyncError(`node ${node} has no address of an enabled family to run BGP on`);
        // Routes, tunnels and the egress table belong to the node's network namespace:
        // refuse to program one that is not that node's (a wrong --hostname-override, or
        // a test or tool run in the wrong place).
        const local = new Set(await localAddresses());
        const mine = [peers.self.addresses.ipv4, peers.self.addresses.ipv6].filter((a) => a !== undefined);
        if (!mine.some((a) => local.has(a.address))) {
          throw new SyncError(`none of node ${node}'s addresses (${mine.map((a) => a.address).join(', ')}) is on an interface of this network namespace: refusing to program BGP, routes or egress here (check --hostname-override)`);
        }

        // BGP.
        await ensureBgp(peers.global);
        const policies = computePolicies({
          paths: adv.paths,
          peers: peers.peers,
          local: peers.local,
          routeReflectorServer: peers.self.routeReflector?.role === 'server',
          config: cfg,
          families,
        });
        const desired = { peers: peers.peers, paths: adv.paths, ...policies };
        const plan = planBgp(desired, await observeBgp(gobgp, familyList));
        if (planSize(plan) > 0) {
          log.debug({ full: req.full, peers: { add: plan.addPeers.length, update: plan.updatePeers.length, delete: plan.deletePeers.length }, paths: { add: plan.addPaths.length, delete: plan.deletePaths.length } }, 'applying BGP changes');
          await applyBgpPlan(gobgp, plan);
          if (req.full && !req.keys.has('bgp/restart')) ctx.metrics.recordDrift(planSize(plan), 'bgp');
        }
        metrics.advertised(adv.paths);

        // Kernel: routes to what others advertise, tunnels, egress.
        const started = performance.now();
        const best = await bestPaths(gobgp, familyList);
        const wanted = computeRoutes({ paths: best, self, nodes: allNodes, connected: await connectedSubnets(), config: cfg, families });
        const kernelTunnels = wanted.tunnels.map(kernelTunnel);
        const observedPeers = await gobgp.listPeers();
        const warmup = ribWarmup({ startedAt: bgpStartedAt, now: Date.now(), peers: observedPeers, settleMs: RIB_SETTLE_MS, maxMs: cfg.holdTimeSeconds * 1000 });
        clearTimeout(warmupTimer);
        if (warmup.complete) bgpStartedAt = undefined;
        else warmupTimer = setTimeout(() => ctx.trigger('BGP warm-up check', ['bgp/warmup']), warmup.recheckInMs);
        const keep = { keepUnwanted: !warmup.complete };
        const t = await tunnels.sync(kernelTunnels, keep);
        const r = await routes.sync(wanted.routes.map(kernelRoute), keep);
        if (r.kept > 0 || t.kept.length > 0) log.info({ routes: r.kept, tunnels: t.kept.length }, 'BGP server started recently and its RIB is not complete yet: keeping routes and tunnels it does not have (yet)');
        if (req.full && (t.changed || r.changed)) ctx.metrics.recordDrift(r.added + r.updated + r.removed + t.created.length + t.removed.length, 'route');
        metrics.hostRoutes({ synced: wanted.routes.length, added: r.added, removed: r.removed, seconds: (performance.now() - started) / 1000 });
        if (cfg.enablePodEgress) {
          const selfCidrs: Cidr[] = cluster.nodes.find((n) => n.name === node)?.podCidrs.slice() ?? [];
          const nodeIps: IPAddress[] = cluster.nodes.flatMap((n) => n.addresses);
          await egress.sync({ families: familyList, podCidrs: selfCidrs, clusterPodCidrs: cluster.podCidrs, nodeIps, excluded: cfg.excludedCidrs }, { full: req.full });
        } else {
          await egress.sync(undefined, { full: req.full });
        }

        metrics.peers(observedPeers);
        // What the tunnels we create really add (ip6tnl without the encapsulation-limit
        // option), which the CNI subtracts for its auto-MTU.
        const overhead = cfg.overlay.enabled
          ? { encap: cfg.overlay.encap, ipv4: tunnelOverhead(cfg.overlay.encap, 'ipv4'), ipv6: tunnelOverhead(cfg.overlay.encap, 'ipv6') }
          : undefined;
        facts = {
          global: peers.global,
          peers: observedPeers,
          advertised: adv.paths,
          routes: wanted.routes,
          installed: true,
          tunnels: wanted.tunnels,
          ...(overhead ? { overlay: overhead } : {}),
          cluster,
          syncedAt: new Date(),
          skippedNodes: peers.skipped,
          skippedPaths: wanted.skipped,
          withheld: adv.withheld,
          exportActions: { communities: peers.local.communities, ...(peers.local.pathPrepend ? { pathPrepend: peers.local.pathPrepend } : {}) },
        };
      },
      section() {
        return routerSection(facts);
      },
      adminServices() {
        return [routerAdminService({ node: ctx.config.node, facts: () => facts, livePeers: () => gobgp.listPeers() }, log)];
      },
      async stop() {
        // The routes, tunnels and BGP sessions stay: a restarted router adopts them.
        clearTimeout(warmupTimer);
        watch?.close();
        gobgp.close();
      },
    };
  },
};
