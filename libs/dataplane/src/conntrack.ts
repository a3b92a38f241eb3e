// Conntrack entry deletion. When a UDP backend goes away, existing flows keep hitting
// the old DNAT target until their conntrack entries expire; controllers delete them.

import type { Family } from '@kr/ip';
import { DataplaneError } from '@kr/errors';
import { runTool, type ToolOptions } from './exec.js';

export interface ConntrackFilter {
  readonly family: Family;
  readonly protocol: 'tcp' | 'udp' | 'sctp' | 'icmp' | 'icmpv6';
  /** Original direction destination (a service VIP). */
  readonly origDst?: string;
  readonly origSrc?: string;
  /** Reply direction source (a backend, after DNAT). */
  readonly replySrc?: string;
  readonly replyDst?: string;
  /** Original direction destination port (the service port). */
  readonly dport?: number;
  /** Original direction source port. */
  readonly sport?: number;
}

export interface ConntrackDeleteResult {
  readonly deleted: number;
}

export class ConntrackExecutor {
  constructor(private readonly options: ToolOptions = {}) {}

  /**
   * `conntrack -D` with the filter. Matching nothing is not an error (conntrack exits 1
   * then). At least one address or port is required: an unfiltered delete would flush
   * every flow of the protocol.
   */
  async delete(filter: ConntrackFilter): Promise<ConntrackDeleteResult> {
    const argv = ['conntrack', '-D', '-f', filter.family, '-p', filter.protocol];
    let filters = 0;
    const add = (flag: string, value: string | number | undefined) => {
      if (value === undefined) return;
      argv.push(flag, String(value));
      filters++;
    };
    add('--orig-src', filter.origSrc);
    add('--orig-dst', filter.origDst);
    add('--reply-src', filter.replySrc);
    add('--reply-dst', filter.replyDst);
    add('--orig-port-src', filter.sport);
    add('--orig-port-dst', filter.dport);
    if (filters === 0) {
      throw new DataplaneError(argv, null, 'refusing an unfiltered conntrack delete: give an address or a port');
    }
    const result = await runTool(argv, { ...this.options, okExitCodes: [1] });
    const count = /(\d+) flow entr(?:y|ies) ha(?:s|ve) been deleted/.exec(result.stderr);
    if (result.exitCode === 1 && count?.[1] !== '0') {
      throw new DataplaneError(result.command, result.exitCode, result.stderr);
    }
    return { deleted: count ? Number(count[1]) : 0 };
  }
}
