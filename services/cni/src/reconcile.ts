// One reconcile round of the CNI controller: compute (pod CIDRs, uplink, MTU, merged
// configuration list), then apply in the order pods depend on it: sysctls, the bridge
// with its gateway addresses, and last the configuration list, so a runtime never finds
// a configuration whose bridge is not ready. Every step reads before it writes; a round
// with nothing to do writes nothing.
//
// Nothing is applied until every input checks out: the node must be this namespace's
// (its addresses on a local interface) and have a usable pod CIDR for every enabled
// family. Otherwise the round fails with a SyncError naming the reason, which the
// runtime shows as the section's health reason and logs, and the previous configuration
// stays as it was.
import { SyncError } from '@kr/errors';
import { IpExecutor, SysctlExecutor, type ToolOptions } from '@kr/dataplane';
import type { Cidr, EnabledFamilies, Family } from '@kr/ip';
import type { V1Node } from '@kubernetes/client-node';
import type { CniSettings } from './config.js';
import { applyIpLines, observeBridge } from './dataplane/bridge.js';
import { readConfFiles, removeFile, writeFileAtomic } from './dataplane/conf-files.js';
import { readHostInterfaces } from './dataplane/host.js';
import { applySysctls, readOptionalSysctl, type SysctlApplyResult } from './dataplane/sysctls.js';
import { BRIDGE_NAME, renderConflist, type Gateway } from './model/conflist.js';
import { computePodMtu, type OverlayOverhead } from './model/mtu.js';
import { computeNodePodCidrs, type NodePodCidrPlan } from './model/pod-cidrs.js';
import { acceptRaKey, bridgeSysctls, desiredSysctls } from './model/sysctls.js';
import { findNodeUplink } from './model/uplink.js';
import { planBridge } from './plan/bridge.js';
import { existingConfig, planConflist } from './plan/conflist.js';

/** The kernel tools, optionally aimed at a named namespace (tests); production runs in its own. */
export class CniDataplane {
  readonly ip: IpExecutor;
  readonly sysctl: SysctlExecutor;

  constructor(options: ToolOptions = {}) {
    this.ip = new IpExecutor(options);
    this.sysctl = new SysctlExecutor(options);
  }
}

export interface ReconcileInput {
  readonly nodeName: string;
  readonly node: V1Node | undefined;
  readonly families: EnabledFamilies;
  readonly settings: CniSettings;
  /** What the router announced on the bus; undefined without a router or overlay. */
  readonly overlay: OverlayOverhead | undefined;
}

/** What is in place after a successful round: the facts the section publishes. */
export interface CniApplied {
  readonly podCidrs: readonly Cidr[];
  readonly gateways: readonly Gateway[];
  /** The MTU in the configuration list (0 when it has none). */
  readonly mtu: number;
  /** Whether that MTU was derived from the uplink (and overlay) this round. */
  readonly autoMtu: boolean;
  readonly hairpinMode: boolean;
  readonly conflistPath: string;
  readonly uplink: string;
}

export interface ReconcileResult {
  readonly applied: CniApplied;
  readonly changed: {
    readonly conflist: boolean;
    readonly legacyRemoved?: string;
    readonly bridge: boolean;
    readonly sysctls: SysctlApplyResult['changed'];
  };
  /** Pod-CIDR input problems (annotations) to report once per node. */
  readonly cidrs: NodePodCidrPlan;
  /** Adjustments made to the user's configuration list. */
  readonly notes: readonly string[];
  /** Things that did not stop the round but need an operator (auto-MTU, br_netfilter). */
  readonly warnings: readonly string[];
}

export async function reconcile(input: ReconcileInput, dp: CniDataplane): Promise<ReconcileResult> {
  const { nodeName, node, families, settings } = input;
  const familyList: Family[] = (['ipv4', 'ipv6'] as const).filter((f) => families[f]);
  if (!node) throw new SyncError(`node ${nodeName} is not in the API (yet); nothing is configured until it is`);

  const interfaces = await readHostInterfaces(dp.ip);
  const uplink = findNodeUplink(node, nodeName, interfaces, [BRIDGE_NAME]);
  if (!uplink.ok) throw new SyncError(uplink.reason);

  const cidrs = computeNodePodCidrs(node, families, nodeName);
  if (cidrs.blocker) {
    throw new SyncError(`${cidrs.blocker}; the CNI configuration is left as it was`, cidrs.problems.length > 0 ? { cause: cidrs.problems } : undefined);
  }

  const warnings: string[] = [];
  let autoMtu: number | undefined;
  if (settings.autoMtu) {
    const result = computePodMtu(uplink.uplink.mtu, input.overlay, familyList);
    if (result.ok) autoMtu = result.mtu;
    else warnings.push(`auto-MTU not applied: ${result.reason} (uplink ${uplink.uplink.name})`);
  }

  const files = await readConfFiles(settings.paths);
  const existing = existingConfig(files);
  const rendered = renderConflist(existing, {
    podCidrs: cidrs.cidrs,
    hairpinMode: settings.hairpinMode,
    ...(autoMtu !== undefined ? { mtu: autoMtu } : {}),
  });

  const acceptRa = families.ipv6 ? await readOptionalSysctl(dp.sysctl, acceptRaKey(uplink.uplink.ipv6Name)) : undefined;
  const sysctls = await applySysctls(
    dp.sysctl,
    desiredSysctls(families, acceptRa !== undefined ? { ipv6Uplink: { name: uplink.uplink.ipv6Name, acceptRa } } : {}),
  );
  for (const missing of sysctls.missing) {
    warnings.push(
      `${missing.key} does not exist: the br_netfilter module is not loaded (loading modules is the host's business, not ours), ` +
        'so traffic between pods on the bridge bypasses iptables/nftables (NetworkPolicies between pods of this node, Service hairpin)',
    );
  }

  const bridgePlan = planBridge(
    {
      name: BRIDGE_NAME,
      // The bridge follows the list's MTU, whoever set it, so pods and bridge agree.
      ...(rendered.mtu !== undefined ? { mtu: rendered.mtu } : {}),
      addresses: rendered.gateways.map((g) => ({ family: g.cidr.family, ip: g.ip.address, prefixLength: g.cidr.prefixLength })),
    },
    await observeBridge(dp.ip, BRIDGE_NAME),
  );
  if (!bridgePlan.ok) throw new SyncError(bridgePlan.reason);
  let bridgeChanged = await applyIpLines(dp.ip, bridgePlan.linkLines);
  const bridgeSettings = await applySysctls(dp.sysctl, bridgeSysctls(families));
  bridgeChanged = (await applyIpLines(dp.ip, bridgePlan.addressLines)) || bridgeChanged || bridgeSettings.changed.length > 0;

  const conflist = planConflist(files, existing, rendered);
  if (conflist.write !== undefined) await writeFileAtomic(settings.paths.target, conflist.write);
  const legacyRemoved = conflist.removeLegacy !== undefined && (await removeFile(conflist.removeLegacy)) ? conflist.removeLegacy : undefined;

  return {
    applied: {
      podCidrs: cidrs.cidrs,
      gateways: rendered.gateways,
      mtu: rendered.mtu ?? 0,
      autoMtu: autoMtu !== undefined,
      hairpinMode: rendered.hairpinMode,
      conflistPath: settings.paths.target,
      uplink: uplink.uplink.name,
    },
    changed: {
      conflist: conflist.write !== undefined,
      ...(legacyRemoved ? { legacyRemoved } : {}),
      bridge: bridgeChanged,
      sysctls: [...sysctls.changed, ...bridgeSettings.changed],
    },
    cidrs,
    notes: rendered.notes,
    warnings,
  };
}
