// kr-cni: the CNI controller, kube-router's --enable-cni. It watches its own Node and the
// router's section on the bus (for the overlay overhead), and each round makes the node
// ready for pods: sysctls, kube-bridge with a gateway per family, and the CNI
// configuration list (see reconcile.ts). It publishes what is in place as CniState.
import { InputProblems, protoAddress, protoPrefix, type ControllerDefinition } from '@kr/agent';
import { NODES, keyOf } from '@kr/k8s';
import type { Logger } from '@kr/observability';
import type { nodestate } from '@kr/proto';
import { cniFlagSpecs, cniSettings, type CniFlagValues } from './config.js';
import { BRIDGE_NAME, describeGateways } from './model/conflist.js';
import { overlayOverheadOf, sameOverhead, type OverlayOverhead } from './model/mtu.js';
import { computeNodePodCidrs } from './model/pod-cidrs.js';
import { CniDataplane, reconcile, type CniApplied, type ReconcileResult } from './reconcile.js';

export { BRIDGE_NAME };

/** Logs each message once while it persists; again only after it went away and came back. */
class OnceLog {
  #seen = new Set<string>();
  constructor(private readonly emit: (message: string) => void) {}
  set(messages: readonly string[]): void {
    for (const m of messages) if (!this.#seen.has(m)) this.emit(m);
    this.#seen = new Set(messages);
  }
}

export const cniController: ControllerDefinition<'cni', ReturnType<typeof cniFlagSpecs>> = {
  name: 'cni',
  binary: 'kr-cni',
  description: 'kr-cni: the CNI controller of kube-router-ts (pod CIDRs, CNI configuration list, kube-bridge, forwarding sysctls).',
  flags: cniFlagSpecs(),
  create(ctx) {
    const log = ctx.log('cni');
    // ControllerContext types flags as FlagValues<Common & Extra>, and indexing an
    // intersection of two tuples gives never: the values are there, the type is not.
    const settings = cniSettings(ctx.flags as unknown as CniFlagValues);
    const dataplane = new CniDataplane();
    const problems = new InputProblems(log);
    const notes = new OnceLog((m) => log.info({ path: settings.paths.target }, `CNI configuration adjusted: ${m}`));
    const warnings = new OnceLog((m) => log.warn(m));
    const nodes = ctx.informer(NODES, { fieldSelector: `metadata.name=${ctx.config.node}` });

    let overlay: OverlayOverhead | undefined;
    const routerWatch = ctx.bus.watchSections(['router'], (_section, router) => {
      const next = overlayOverheadOf(router);
      if (sameOverhead(next, overlay)) return;
      overlay = next;
      log.info({ overlay: next ?? 'none' }, 'router overlay overhead changed');
      if (settings.autoMtu) ctx.trigger('router overlay overhead changed');
    });

    let applied: CniApplied | undefined;
    // Inputs of the last successful round: a full round that changes anything with the
    // same inputs found drift (someone edited the file, the bridge or a sysctl).
    let appliedInputs: string | undefined;

    return {
      async sync(request) {
        const node = nodes.get(ctx.config.node);
        if (node) problems.report(keyOf(ctx.config.node), computeNodePodCidrs(node, ctx.config.families, ctx.config.node).problems);
        const inputs = JSON.stringify({ node: node?.metadata?.resourceVersion, overlay });
        const result = await reconcile({ nodeName: ctx.config.node, node, families: ctx.config.families, settings, overlay }, dataplane);
        notes.set(result.notes);
        warnings.set(result.warnings);
        logChanges(log, result);
        if (request.full && inputs === appliedInputs) recordDrift(ctx.metrics, result);
        applied = result.applied;
        appliedInputs = inputs;
      },
      section(): Omit<nodestate.CniState, 'header'> {
        return {
          podCidrs: (applied?.podCidrs ?? []).map(protoPrefix),
          bridge: BRIDGE_NAME,
          mtu: applied?.mtu ?? 0,
          conflistPath: settings.paths.target,
          hairpinMode: applied?.hairpinMode ?? false,
          autoMtu: applied?.autoMtu ?? false,
          gateways: (applied?.gateways ?? []).map((g) => protoAddress(g.ip)),
        };
      },
      async stop() {
        routerWatch.stop();
      },
    };
  },
};

function logChanges(log: Logger, result: ReconcileResult): void {
  const { changed, applied } = result;
  for (const s of changed.sysctls) log.info({ key: s.key, from: s.previous, to: s.value }, `sysctl set: ${s.why}`);
  if (changed.bridge) log.info({ bridge: BRIDGE_NAME, gateways: describeGateways(applied.gateways), mtu: applied.mtu || undefined }, 'bridge configured');
  if (changed.conflist) {
    log.info(
      { path: applied.conflistPath, podCidrs: applied.podCidrs.map(String), mtu: applied.mtu || undefined, autoMtu: applied.autoMtu, uplink: applied.uplink },
      'CNI configuration list written',
    );
  }
  if (changed.legacyRemoved) log.info({ path: changed.legacyRemoved }, 'legacy single-plugin CNI configuration removed: it would shadow the list');
}

function recordDrift(metrics: { recordDrift(count: number, kind?: string): void }, result: ReconcileResult): void {
  const { changed } = result;
  if (changed.conflist) metrics.recordDrift(1, 'conflist');
  if (changed.bridge) metrics.recordDrift(1, 'bridge');
  if (changed.sysctls.length > 0) metrics.recordDrift(changed.sysctls.length, 'sysctl');
}
