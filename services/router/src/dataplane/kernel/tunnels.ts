// Applies our overlay tunnels: reads our links (name prefix + tunnel kind), the permanent
// neighbours on them and, when fou is in play, the fou receive ports; plans; runs one
// `ip -batch`. Idempotent; a restart converges what it finds, creating nothing twice and
// deleting only our stale links. Deleting a link also deletes the routes over it.
import { existsSync } from 'node:fs';
import { IpExecutor, type ApplyResult, type ToolOptions } from '@kr/dataplane';
import { planTunnels, type ObservedTunnelState, type TunnelPlanOptions } from '../../plan/kernel-tunnels.js';
import { listFouPorts } from './fou.js';
import { parseTunnelLinks, parseTunnelNeighbours } from './tunnel-links.js';
import type { TunnelSpec } from './types.js';

export interface TunnelSyncResult extends ApplyResult {
  readonly created: readonly string[];
  readonly recreated: readonly string[];
  readonly updated: readonly string[];
  readonly removed: readonly string[];
  readonly kept: readonly string[];
  readonly unchanged: number;
  readonly lines: readonly string[];
}

/** False on a kernel booted with ipv6.disable=1 (global: the same in every namespace). */
function kernelHasIpv6(): boolean {
  return existsSync('/proc/sys/net/ipv6');
}

export class KernelTunnels {
  private readonly ip: IpExecutor;

  constructor(
    private readonly tool: ToolOptions = {},
    private readonly options: TunnelPlanOptions = {},
  ) {
    this.ip = new IpExecutor(tool);
  }

  /** Our tunnels as they are; fou ports only when fou could be involved. */
  async read(desired: readonly TunnelSpec[] = []): Promise<ObservedTunnelState> {
    const links = parseTunnelLinks(await this.ip.links());
    const names = new Set(links.map((l) => l.name));
    const neighbours = names.size > 0 ? parseTunnelNeighbours(await this.ip.neighbours(), names) : [];
    const fouInPlay = (this.options.fouPorts ?? []).length > 0 || desired.some((t) => t.encap === 'fou') || links.some((l) => l.encap === 'fou');
    const fouPorts = fouInPlay ? await listFouPorts(this.tool) : [];
    return { links, neighbours, fouPorts };
  }

  /** `keepUnwanted`: see TunnelPlanOptions. */
  async sync(desired: readonly TunnelSpec[], sync: { keepUnwanted?: boolean } = {}): Promise<TunnelSyncResult> {
    const plan = planTunnels(desired, await this.read(desired), { ipv6: kernelHasIpv6(), ...this.options, ...sync });
    const summary = {
      created: plan.created,
      recreated: plan.recreated,
      updated: plan.updated,
      removed: plan.removed,
      kept: plan.kept,
      unchanged: plan.unchanged,
      lines: plan.lines,
    };
    if (plan.lines.length === 0) return { changed: false, ...summary };
    const { changed } = await this.ip.batch(plan.lines);
    // fou ports are not part of what the batch reads back; a line that ran changed one.
    return { changed: changed || plan.lines.some((line) => line.startsWith('fou ')), ...summary };
  }
}
