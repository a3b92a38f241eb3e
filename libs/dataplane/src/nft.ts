// nftables executor: JSON reads, atomic script applies (`nft -f -` is one kernel
// transaction: all of it or none of it), and change detection by read-back.

import { nftFailingLine } from './failing-line.js';
import { parseJsonOutput, runTool, type ToolOptions } from './exec.js';
import { nftScriptScope, type NftScope, type NftTableRef } from './nft-scope.js';
import type { ApplyResult } from './types.js';

/** One element of `nft -j` output's `nftables` array, e.g. `{ table: {...} }`. */
export type NftObject = Readonly<Record<string, unknown>>;

interface NftJsonOutput {
  nftables?: NftObject[];
}

export interface NftApplyOptions {
  /**
   * What to read back for change detection. Default: the tables the script names, or
   * the whole ruleset when they cannot be determined (see nftScriptScope).
   */
  readonly scope?: NftScope;
}

export class NftExecutor {
  constructor(private readonly options: ToolOptions = {}) {}

  /** `nft -j list ruleset`, without the metainfo header. */
  async listRuleset(): Promise<NftObject[]> {
    return this.listJson(['list', 'ruleset']);
  }

  /** `nft -j list table <family> <name>`; undefined when the table does not exist. */
  async listTable(table: NftTableRef): Promise<NftObject[] | undefined> {
    if (!(await this.tableExists(table))) return undefined;
    return this.listJson(['list', 'table', table.family, table.name]);
  }

  async listTables(): Promise<NftTableRef[]> {
    const objects = await this.listJson(['list', 'tables']);
    const tables: NftTableRef[] = [];
    for (const object of objects) {
      const table = object['table'] as { family: NftTableRef['family']; name: string } | undefined;
      if (table) tables.push({ family: table.family, name: table.name });
    }
    return tables;
  }

  async tableExists(table: NftTableRef): Promise<boolean> {
    return (await this.listTables()).some((t) => t.family === table.family && t.name === table.name);
  }

  /** Parse and validate a script against the running kernel without applying it (`nft -c`). */
  async check(script: string): Promise<void> {
    await runTool(['nft', '-c', '-f', '-'], { ...this.options, input: script, failingLineNumber: nftFailingLine });
  }

  /**
   * Apply a script as one transaction. `changed` compares the stateless listing (no
   * counters, no handles, no timeouts) of the scope before and after.
   */
  async apply(script: string, options: NftApplyOptions = {}): Promise<ApplyResult> {
    const scope = options.scope ?? nftScriptScope(script);
    const before = await this.snapshot(scope);
    await runTool(['nft', '-f', '-'], { ...this.options, input: script, failingLineNumber: nftFailingLine });
    const after = await this.snapshot(scope);
    return { changed: before !== after };
  }

  /** Normalised text of the scope: `nft -s list ...`, absent tables as empty. */
  async snapshot(scope: NftScope): Promise<string> {
    if (scope === 'ruleset') {
      return normaliseNftListing((await runTool(['nft', '-s', 'list', 'ruleset'], this.options)).stdout);
    }
    const existing = await this.listTables();
    const parts: string[] = [];
    for (const table of scope) {
      if (!existing.some((t) => t.family === table.family && t.name === table.name)) continue;
      const { stdout } = await runTool(['nft', '-s', 'list', 'table', table.family, table.name], this.options);
      parts.push(normaliseNftListing(stdout));
    }
    return parts.join('\n');
  }

  private async listJson(args: readonly string[]): Promise<NftObject[]> {
    const result = await runTool(['nft', '-j', ...args], this.options);
    // An empty ruleset prints nothing at all on some releases.
    if (result.stdout.trim() === '') return [];
    const parsed = parseJsonOutput<NftJsonOutput>(result);
    return (parsed.nftables ?? []).filter((object) => !('metainfo' in object));
  }
}

/**
 * Normalise an nft text listing for comparison: drop counters and set element expiry
 * (in case the listing was not made with -s) and trailing whitespace.
 */
export function normaliseNftListing(text: string): string {
  return text
    .split('\n')
    .map((line) =>
      line
        .replace(/\s+counter packets \d+ bytes \d+/g, ' counter')
        .replace(/\s+expires [0-9dhms]+/g, '')
        .replace(/\s+$/, ''),
    )
    .filter((line) => !/^\s*packets \d+ bytes \d+$/.test(line))
    .join('\n')
    .trim();
}
