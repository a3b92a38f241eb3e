// iproute2 executor: JSON reads, `ip -batch -` writes. The namespace is selected with
// `ip -n <ns>` rather than `ip netns exec`, which saves an exec and a mount namespace.

import type { Family } from '@kr/ip';
import { DataplaneError } from '@kr/errors';
import { ipBatchFailingLine } from './failing-line.js';
import { parseJsonOutput, runTool, type RunResult, type ToolOptions } from './exec.js';
import {
  ipBatchScope,
  normaliseAddresses,
  normaliseLinks,
  normaliseNeighbours,
  normaliseRoutes,
  type IpBatchScope,
  type IpObjectKind,
} from './ip-scope.js';
import type { ApplyResult } from './types.js';

/** Fields of `ip -j` objects vary by kind and kernel; the common ones are typed. */
export interface IpLink {
  readonly ifindex: number;
  readonly ifname: string;
  readonly flags: readonly string[];
  readonly mtu: number;
  readonly operstate?: string;
  readonly link_type?: string;
  readonly address?: string;
  readonly master?: string;
  readonly linkinfo?: { readonly info_kind?: string; readonly info_data?: Readonly<Record<string, unknown>> };
  readonly [field: string]: unknown;
}

export interface IpAddressInfo {
  readonly family: 'inet' | 'inet6';
  readonly local: string;
  readonly prefixlen: number;
  readonly scope?: string;
  readonly [field: string]: unknown;
}

export interface IpInterfaceAddresses {
  readonly ifindex: number;
  readonly ifname: string;
  readonly addr_info: readonly IpAddressInfo[];
  readonly [field: string]: unknown;
}

/**
 * A route. `ip` omits the fields a query filtered on (a `table 100` query returns routes
 * without `table`), and prints table/protocol names from /etc/iproute2 unless numeric.
 */
export interface IpRoute {
  readonly dst: string;
  readonly gateway?: string;
  readonly dev?: string;
  readonly table?: string;
  readonly protocol?: string;
  readonly type?: string;
  readonly scope?: string;
  readonly metric?: number;
  readonly [field: string]: unknown;
}

export interface IpNeighbour {
  readonly dst: string;
  readonly dev?: string;
  readonly lladdr?: string;
  readonly state?: readonly string[];
  readonly [field: string]: unknown;
}

export interface IpRule {
  readonly priority: number;
  readonly table?: string;
  readonly [field: string]: unknown;
}

export interface RouteQuery {
  readonly family: Family;
  /** Routing table: number, name, or 'all'. Default: main. */
  readonly table?: number | string;
  /** Route protocol: number or name from /etc/iproute2/rt_protos. */
  readonly proto?: number | string;
  readonly dev?: string;
  /** Print numbers instead of names for table, protocol, scope and type (`ip -N`). */
  readonly numeric?: boolean;
}

export interface IpBatchOptions {
  /**
   * Without -force (the default), ip stops at the first failing command: the lines
   * before it stay applied (ip -batch is not a transaction), the rest are not run, and
   * the error names exactly that line. With -force ip runs every line and fails at the
   * end; the first failing line is reported. Argument errors (a malformed prefix) end
   * ip at once either way, and ip does not name their line: see ipBatchFailingLine.
   * We default to no -force so that nothing runs after a failure whose effects are
   * unknown, and the next (full) sync starts from a known point. Plans should emit idempotent commands
   * (`replace`, `del` of things known present) so that a retry after a partial apply
   * converges either way.
   */
  readonly force?: boolean;
}

function familyFlag(family: Family): string {
  return family === 'ipv4' ? '-4' : '-6';
}

export class IpExecutor {
  constructor(private readonly options: ToolOptions = {}) {}

  /** `ip -j -d link show [dev]`: -d adds linkinfo (kind, bridge/vxlan/veth data). An absent dev gives []. */
  async links(dev?: string): Promise<IpLink[]> {
    const argv = ['ip', '-j', '-d', 'link', 'show'];
    if (dev !== undefined) argv.push('dev', dev);
    return this.json<IpLink[]>(argv);
  }

  /** `ip -j [-4|-6] address show [dev]`; both families when none is given. */
  async addresses(query: { readonly family?: Family; readonly dev?: string } = {}): Promise<IpInterfaceAddresses[]> {
    const argv = ['ip', '-j'];
    if (query.family) argv.push(familyFlag(query.family));
    argv.push('address', 'show');
    if (query.dev !== undefined) argv.push('dev', query.dev);
    return this.json<IpInterfaceAddresses[]>(argv);
  }

  /** `ip -j -4|-6 route show [table t] [proto p] [dev d]`. The family is required: ip defaults to IPv4. */
  async routes(query: RouteQuery): Promise<IpRoute[]> {
    const argv = ['ip', '-j'];
    if (query.numeric) argv.push('-N');
    argv.push(familyFlag(query.family), 'route', 'show');
    if (query.table !== undefined) argv.push('table', String(query.table));
    if (query.proto !== undefined) argv.push('proto', String(query.proto));
    if (query.dev !== undefined) argv.push('dev', query.dev);
    try {
      return await this.json<IpRoute[]>(argv);
    } catch (err) {
      // A table comes into being with its first route; asking for it before is no error.
      if (err instanceof DataplaneError && /FIB table does not exist/.test(err.stderr)) return [];
      throw err;
    }
  }

  /** `ip -j [-4|-6] neigh show [dev]`. */
  async neighbours(query: { readonly family?: Family; readonly dev?: string } = {}): Promise<IpNeighbour[]> {
    const argv = ['ip', '-j'];
    if (query.family) argv.push(familyFlag(query.family));
    argv.push('neigh', 'show');
    if (query.dev !== undefined) argv.push('dev', query.dev);
    return this.json<IpNeighbour[]>(argv);
  }

  /** `ip -j -4|-6 rule show`. */
  async rules(family: Family): Promise<IpRule[]> {
    return this.json<IpRule[]>(['ip', '-j', familyFlag(family), 'rule', 'show']);
  }

  /**
   * Run commands with `ip -batch -` (one command per line, without the leading `ip`).
   * `changed` compares the normalised links/addresses/routes/neighbours/rules the lines
   * touch, for the families they touch, before and after.
   */
  async batch(lines: readonly string[], options: IpBatchOptions = {}): Promise<ApplyResult> {
    const scope = ipBatchScope(lines);
    const argv = ['ip'];
    if (options.force) argv.push('-force');
    argv.push('-batch', '-');
    const input = lines.join('\n') + '\n';
    const before = await this.snapshot(scope);
    await runTool(argv, { ...this.options, input, failingLineNumber: ipBatchFailingLine });
    const after = await this.snapshot(scope);
    return { changed: before !== after };
  }

  /** Normalised state of a scope, as a string to compare. */
  async snapshot(scope: IpBatchScope): Promise<string> {
    const parts: Record<string, unknown> = {};
    const has = (kind: IpObjectKind) => scope.kinds.has(kind);
    if (has('links')) parts['links'] = normaliseLinks((await this.links()) as unknown as Record<string, unknown>[]);
    for (const family of [...scope.families].sort()) {
      if (has('addresses')) {
        parts[`addresses ${family}`] = normaliseAddresses((await this.addresses({ family })) as unknown as Record<string, unknown>[]);
      }
      if (has('routes')) {
        const routes = await this.routes({ family, table: 'all', numeric: true });
        parts[`routes ${family}`] = normaliseRoutes(routes as unknown as Record<string, unknown>[]);
      }
      if (has('neighbours')) {
        parts[`neighbours ${family}`] = normaliseNeighbours((await this.neighbours({ family })) as unknown as Record<string, unknown>[]);
      }
      if (has('rules')) parts[`rules ${family}`] = await this.rules(family);
    }
    return JSON.stringify(parts);
  }

  /** Run a listing; a `dev` filter naming an absent device lists nothing rather than failing. */
  private async json<T>(argv: readonly string[]): Promise<T> {
    let result: RunResult;
    try {
      result = await runTool(argv, this.options);
    } catch (err) {
      const absentDevice = /Device ".*" does not exist|Cannot find device/;
      if (argv.includes('dev') && err instanceof DataplaneError && absentDevice.test(err.stderr)) return [] as T;
      throw err;
    }
    // `ip -j` prints nothing at all for some empty listings on older releases.
    if (result.stdout.trim() === '') return [] as T;
    return parseJsonOutput<T>(result);
  }
}
