// Applies the pod egress table (plan/kernel-egress.ts) as one atomic nft transaction.
// A partial sync skips the apply when the script is the one last applied; a full sync
// always applies, and the read-back tells whether the kernel differed (drift).
import { NftExecutor, type ApplyResult, type ToolOptions } from '@kr/dataplane';
import { renderPodEgress } from '../../plan/kernel-egress.js';
import { EGRESS_TABLE } from './names.js';
import type { EgressSpec } from './types.js';

export interface EgressSyncResult extends ApplyResult {
  /** Whether nft ran (false: a partial sync found nothing new). */
  readonly applied: boolean;
  readonly script: string;
}

export class PodEgress {
  private readonly nft: NftExecutor;
  private lastApplied: string | undefined;

  constructor(tool: ToolOptions = {}) {
    this.nft = new NftExecutor(tool);
  }

  /** `spec` undefined: egress disabled, the table is removed. */
  async sync(spec: EgressSpec | undefined, options: { readonly full?: boolean } = {}): Promise<EgressSyncResult> {
    const script = renderPodEgress(spec);
    if (!options.full && script === this.lastApplied) return { changed: false, applied: false, script };
    // Forget the last script first: a failed apply must make the next sync apply again.
    this.lastApplied = undefined;
    const { changed } = await this.nft.apply(script, { scope: [EGRESS_TABLE] });
    this.lastApplied = script;
    return { changed, applied: true, script };
  }
}
