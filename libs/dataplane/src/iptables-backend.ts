// Which iptables backend does the host use? Rules in iptables-legacy and in
// iptables-nft are separate worlds; a controller must write where kubelet and the other
// node tooling write, or its rules are evaluated in an unexpected order or not seen by
// tools the operator uses. The rule: whichever backend holds more rules wins; with no
// rules anywhere, the host's `iptables` alternative decides.

import { readFile } from 'node:fs/promises';
import type { Family } from '@kr/ip';
import { runTool, type ToolOptions } from './exec.js';
import { iptablesBinary } from './iptables.js';

export interface IptablesBackendDetection {
  readonly backend: 'nft' | 'legacy';
  readonly nftRules: number;
  readonly legacyRules: number;
  /** Human-readable why, for the startup log. */
  readonly reason: string;
}

function countRules(save: string): number {
  return save.split('\n').filter((line) => line.startsWith('-A ')).length;
}

/**
 * Legacy tables are instantiated in a namespace on first use: any legacy command that
 * names a table (`iptables-legacy-save -t filter`, `-L`) creates it, and iptables-nft
 * then warns about legacy tables forever. /proc/net/ip{,6}_tables_names lists the tables
 * that exist without creating any; only if it is non-empty do we run a save, and then
 * without -t, which lists only existing tables.
 */
async function legacyTableNames(family: Family, options: ToolOptions): Promise<string[]> {
  const path = family === 'ipv4' ? '/proc/net/ip_tables_names' : '/proc/net/ip6_tables_names';
  let text: string;
  try {
    if (options.netns === undefined) text = await readFile(path, 'utf8');
    else text = (await runTool(['cat', path], { ...options, okExitCodes: [1] })).stdout;
  } catch (err) {
    // No such file: the x_tables legacy modules are not loaded, so no legacy rules.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text.split('\n').map((l) => l.trim()).filter(Boolean);
}

/** The backend of the host's `iptables` command (`iptables --version` says "(nf_tables)" or "(legacy)"). */
export async function defaultIptablesBackend(options: ToolOptions = {}): Promise<'nft' | 'legacy'> {
  const { stdout } = await runTool([iptablesBinary('ipv4', 'default', ''), '--version'], options);
  return /nf_tables/.test(stdout) ? 'nft' : 'legacy';
}

export async function detectIptablesBackend(
  options: ToolOptions & { readonly families?: readonly Family[] } = {},
): Promise<IptablesBackendDetection> {
  const families = options.families ?? ['ipv4', 'ipv6'];
  let nftRules = 0;
  let legacyRules = 0;
  for (const family of families) {
    nftRules += countRules((await runTool([iptablesBinary(family, 'nft', 'save')], options)).stdout);
    if ((await legacyTableNames(family, options)).length > 0) {
      legacyRules += countRules((await runTool([iptablesBinary(family, 'legacy', 'save')], options)).stdout);
    }
  }
  if (legacyRules > nftRules) {
    return { backend: 'legacy', nftRules, legacyRules, reason: `legacy holds more rules (${legacyRules} vs ${nftRules})` };
  }
  if (nftRules > 0) {
    return { backend: 'nft', nftRules, legacyRules, reason: `nft holds at least as many rules (${nftRules} vs ${legacyRules})` };
  }
  const backend = await defaultIptablesBackend(options);
  return { backend, nftRules, legacyRules, reason: `no rules in either backend; the iptables alternative is ${backend}` };
}
