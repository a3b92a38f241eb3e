// iptables-save / iptables-restore and their ip6 twins, on either backend. Each restore
// input table (`*filter` ... `COMMIT`) is applied atomically by the tool; with --noflush
// only the chains the input declares are flushed, so other owners' rules stay intact.

import type { Family } from '@kr/ip';
import { iptablesFailingLine } from './failing-line.js';
import { runTool, type ToolOptions } from './exec.js';
import type { ApplyResult } from './types.js';

/**
 * Which iptables binaries to run. `default` is whatever the host's `iptables`
 * alternative points to; `nft` and `legacy` pick the `-nft` / `-legacy` binaries.
 * Rules written with one backend are invisible to the other, so a controller must use
 * the backend the host's other tooling (kubelet, CNI plugins) uses: see
 * detectIptablesBackend.
 */
export type IptablesBackend = 'default' | 'nft' | 'legacy';

export interface IptablesOptions extends ToolOptions {
  readonly family: Family;
  readonly backend?: IptablesBackend;
  /** Seconds to wait for the xtables lock (legacy backend; harmless on nft). Default 5. */
  readonly lockWaitSeconds?: number;
}

export interface IptablesRestoreOptions {
  /** Keep chains and tables not named in the input. Default true: we never flush others. */
  readonly noflush?: boolean;
  /** Restore only this table of the input (`-T`). */
  readonly table?: string;
}

/** The binary for a family, backend and tool, e.g. ip6tables-legacy-restore. */
export function iptablesBinary(family: Family, backend: IptablesBackend, tool: 'save' | 'restore' | ''): string {
  const base = family === 'ipv4' ? 'iptables' : 'ip6tables';
  const parts = [base];
  if (backend !== 'default') parts.push(backend);
  if (tool) parts.push(tool);
  return parts.join('-');
}

export class IptablesExecutor {
  readonly family: Family;
  readonly backend: IptablesBackend;

  constructor(private readonly options: IptablesOptions) {
    this.family = options.family;
    this.backend = options.backend ?? 'default';
  }

  /** `iptables-save [-t table]`, verbatim. */
  async save(table?: string): Promise<string> {
    const argv = [iptablesBinary(this.family, this.backend, 'save')];
    if (table !== undefined) argv.push('-t', table);
    return (await runTool(argv, this.options)).stdout;
  }

  /**
   * Apply restore input. `changed` compares the normalised saves of the tables the input
   * names (or the `-T` table) before and after.
   */
  async restore(input: string, options: IptablesRestoreOptions = {}): Promise<ApplyResult> {
    const tables = options.table !== undefined ? [options.table] : tablesInRestoreInput(input);
    const argv = [iptablesBinary(this.family, this.backend, 'restore'), `--wait=${this.options.lockWaitSeconds ?? 5}`];
    if (options.noflush ?? true) argv.push('--noflush');
    if (options.table !== undefined) argv.push('-T', options.table);
    const before = await this.snapshot(tables);
    await runTool(argv, { ...this.options, input, failingLineNumber: iptablesFailingLine });
    const after = await this.snapshot(tables);
    return { changed: before !== after };
  }

  /** Normalised saves of the given tables, concatenated. */
  async snapshot(tables: readonly string[]): Promise<string> {
    const parts: string[] = [];
    for (const table of tables) parts.push(normaliseIptablesSave(await this.save(table)));
    return parts.join('\n');
  }
}

/** Table names of restore input (`*filter` lines), in order, once each. */
export function tablesInRestoreInput(input: string): string[] {
  const tables = new Set<string>();
  for (const line of input.split('\n')) {
    const match = /^\*(\S+)\s*$/.exec(line.trim());
    if (match) tables.add(match[1]!);
  }
  return [...tables];
}

/**
 * Normalise save output for comparison: drop `#` comment lines (they carry the date
 * and backend warnings), packet/byte counters (`[n:m]` on chain lines, `-c n m` or a
 * leading `[n:m]` on rules), blank lines and trailing whitespace.
 */
export function normaliseIptablesSave(text: string): string {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    let line = raw.trimEnd();
    if (line === '' || line.trimStart().startsWith('#')) continue;
    if (line.startsWith(':')) line = line.replace(/\s+\[\d+:\d+\]$/, '');
    else {
      line = line.replace(/^\[\d+:\d+\]\s+/, '');
      line = line.replace(/\s-c \d+ \d+(?=\s|$)/, '');
    }
    out.push(line);
  }
  return out.join('\n');
}

export interface IptablesSaveTable {
  readonly name: string;
  /** Chains in save order; policy is `-` for user chains. */
  readonly chains: readonly { readonly name: string; readonly policy: string }[];
  /** Rule lines (`-A CHAIN ...`) in order, counters removed. */
  readonly rules: readonly string[];
}

/** Parse save output into tables, chains and rules. */
export function parseIptablesSave(text: string): IptablesSaveTable[] {
  const tables: IptablesSaveTable[] = [];
  let current: { name: string; chains: { name: string; policy: string }[]; rules: string[] } | undefined;
  for (const line of normaliseIptablesSave(text).split('\n')) {
    if (line.startsWith('*')) {
      current = { name: line.slice(1).trim(), chains: [], rules: [] };
      tables.push(current);
    } else if (line === 'COMMIT') {
      current = undefined;
    } else if (current && line.startsWith(':')) {
      const [name = '', policy = '-'] = line.slice(1).split(/\s+/);
      current.chains.push({ name, policy });
    } else if (current && line.startsWith('-')) {
      current.rules.push(line);
    }
  }
  return tables;
}
