// Applies our kernel routes: lists the routes of protocol ROUTE_PROTOCOL in the main table
// (both families, so a disabled family's leftovers are pruned too), plans the
// differences and runs them as one `ip -batch`. Idempotent: in sync, nothing runs. A
// restart does exactly the same: nothing is flushed, what is there is converged.
import { DataplaneError } from '@kr/errors';
import { FAMILIES, type Family } from '@kr/ip';
import { IpExecutor, type ApplyResult, type ToolOptions } from '@kr/dataplane';
import { planKernelRoutes, type RouteConflict, type RoutePlanOptions } from '../../plan/kernel-routes.js';
import { ROUTE_PROTOCOL } from './names.js';
import { parseRouteListing } from './route-listing.js';
import type { KernelRoute, ObservedRoute } from './types.js';

export interface RouteSyncResult extends ApplyResult {
  readonly added: number;
  readonly updated: number;
  readonly removed: number;
  /** Ours at undesired prefixes, left in place (options.keepUnwanted). */
  readonly kept: number;
  readonly unchanged: number;
  /** Desired routes not installed because a route of another protocol holds the prefix. */
  readonly conflicts: readonly RouteConflict[];
  /** What ran (for trace logs); empty when in sync. */
  readonly lines: readonly string[];
}

// A kernel without IPv6 (or with it disabled at boot) answers this to any IPv6 listing.
const NO_FAMILY = /Address family not supported by protocol/;

async function listRoutes(ip: IpExecutor, family: Family, proto?: number): Promise<ObservedRoute[]> {
  try {
    // Our own listing keeps names (a route `type` must be named to delete it); the
    // unfiltered one is numeric so our protocol reads "17" whatever rt_protos says.
    const query = proto !== undefined ? { proto } : { numeric: true };
    const routes = await ip.routes({ family, table: 'main', ...query });
    return parseRouteListing(routes, family);
  } catch (err) {
    if (family === 'ipv6' && err instanceof DataplaneError && NO_FAMILY.test(err.stderr)) return [];
    throw err;
  }
}

/** Our routes in the main table, both families, of one network namespace. */
export class KernelRoutes {
  private readonly ip: IpExecutor;

  constructor(tool: ToolOptions = {}) {
    this.ip = new IpExecutor(tool);
  }

  /** Our routes (protocol ROUTE_PROTOCOL, main table), both families. */
  async list(): Promise<ObservedRoute[]> {
    const lists = await Promise.all(FAMILIES.map((family) => listRoutes(this.ip, family, ROUTE_PROTOCOL)));
    return lists.flat();
  }

  /**
   * Make our routes exactly `desired`. Tunnels the routes use must exist and be up first
   * (KernelTunnels.sync): the kernel refuses an onlink route over a link that is down.
   */
  async sync(desired: readonly KernelRoute[], options: RoutePlanOptions = {}): Promise<RouteSyncResult> {
    const own = await this.list();
    let plan = planKernelRoutes(desired, own, undefined, options);
    if (plan.needsForeignCheck) plan = planKernelRoutes(desired, own, await this.listForeign(), options);
    const counts = {
      added: plan.added.length,
      updated: plan.updated.length,
      removed: plan.removed.length,
      kept: plan.kept.length,
      unchanged: plan.unchanged,
      conflicts: plan.conflicts,
      lines: plan.lines,
    };
    if (plan.lines.length === 0) return { changed: false, ...counts };
    const { changed } = await this.ip.batch(plan.lines);
    return { changed, ...counts };
  }

  /** The main table's routes of other protocols, both families. */
  private async listForeign(): Promise<ObservedRoute[]> {
    const lists = await Promise.all(FAMILIES.map((family) => listRoutes(this.ip, family)));
    return lists.flat().filter((route) => route.protocol !== String(ROUTE_PROTOCOL));
  }
}
