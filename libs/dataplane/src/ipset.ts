// ipset save/restore. Unlike nft and iptables-restore, `ipset restore` is NOT a
// transaction: what came before a failing line may stay applied (sets it created do;
// adds are buffered per set and may or may not have reached the kernel). Callers that
// need an atomic switch fill a temporary set and `swap` it in (the kube-router way), and
// retry as a full sync after a failure.

import { DataplaneError } from '@kr/errors';
import { ipsetFailingLine } from './failing-line.js';
import { runTool, type ToolOptions } from './exec.js';
import type { ApplyResult } from './types.js';

export interface IpsetMember {
  /** The entry as ipset prints it, e.g. `10.0.0.0/8` or `10.1.2.3,tcp:80`. */
  readonly entry: string;
  /** Per-member options (`timeout 299`, `comment "x"`, `nomatch`), as printed. */
  readonly options: string;
}

export interface IpsetSet {
  readonly name: string;
  /** e.g. `hash:ip`, `hash:net`. */
  readonly type: string;
  /** Create options as printed (`family inet6 hashsize 1024 ...`). */
  readonly options: string;
  readonly members: readonly IpsetMember[];
}

export interface IpsetRestoreOptions {
  /** Pass `-exist`: creating an existing set or adding a present member is not an error. Default true. */
  readonly exist?: boolean;
}

export class IpsetExecutor {
  constructor(private readonly options: ToolOptions = {}) {}

  /** `ipset save [name]`, verbatim. A missing named set is an empty string. */
  async saveText(name?: string): Promise<string> {
    const argv = ['ipset', 'save'];
    if (name !== undefined) argv.push(name);
    try {
      return (await runTool(argv, this.options)).stdout;
    } catch (err) {
      if (name !== undefined && err instanceof DataplaneError && /does not exist/.test(err.stderr)) return '';
      throw err;
    }
  }

  /** Parsed `ipset save [name]`; a missing named set gives []. */
  async save(name?: string): Promise<IpsetSet[]> {
    return parseIpsetSave(await this.saveText(name));
  }

  /** `ipset list -n`. */
  async listNames(): Promise<string[]> {
    const { stdout } = await runTool(['ipset', 'list', '-n'], this.options);
    return stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  }

  /**
   * `ipset restore [-exist]`. `changed` compares the normalised saves of the sets the
   * input names (all sets if it flushes or destroys without a name) before and after.
   * One `ipset save` of everything is read each time and filtered: one process instead
   * of one per set, which matters for the firewall's hundreds of sets.
   */
  async restore(input: string, options: IpsetRestoreOptions = {}): Promise<ApplyResult> {
    const scope = setsInRestoreInput(input);
    const argv = ['ipset', 'restore'];
    if (options.exist ?? true) argv.push('-exist');
    const before = await this.snapshot(scope);
    await runTool(argv, { ...this.options, input, failingLineNumber: ipsetFailingLine });
    const after = await this.snapshot(scope);
    return { changed: before !== after };
  }

  async snapshot(scope: readonly string[] | 'all'): Promise<string> {
    const sets = parseIpsetSave(await this.saveText());
    if (scope === 'all') return normaliseIpsetSets(sets);
    const wanted = new Set(scope);
    return normaliseIpsetSets(sets.filter((set) => wanted.has(set.name)));
  }
}

/** Split a line into words, keeping double-quoted strings (comments) whole. */
function words(line: string): string[] {
  return line.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
}

export function parseIpsetSave(text: string): IpsetSet[] {
  const sets = new Map<string, { name: string; type: string; options: string; members: IpsetMember[] }>();
  for (const raw of text.split('\n')) {
    const [command, name, ...rest] = words(raw.trim());
    if (command === 'create' && name !== undefined) {
      const [type = '', ...options] = rest;
      sets.set(name, { name, type, options: options.join(' '), members: [] });
    } else if (command === 'add' && name !== undefined) {
      const [entry = '', ...options] = rest;
      const set = sets.get(name);
      if (set) set.members.push({ entry, options: options.join(' ') });
    }
  }
  return [...sets.values()];
}

/** Drop the per-boot hash seed, remaining timeouts and counters: not part of what we set. */
function normaliseCreateOptions(options: string): string {
  return options.replace(/\s*\binitval 0x[0-9a-f]+/i, '').trim();
}

function normaliseMemberOptions(options: string): string {
  return options
    .replace(/\btimeout \d+/, '')
    .replace(/\bpackets \d+ bytes \d+/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Canonical text of sets: sorted by name, members sorted, volatile fields dropped. */
export function normaliseIpsetSets(sets: readonly IpsetSet[]): string {
  const lines: string[] = [];
  for (const set of [...sets].sort((a, b) => a.name.localeCompare(b.name))) {
    lines.push(`create ${set.name} ${set.type} ${normaliseCreateOptions(set.options)}`.trimEnd());
    const members = set.members.map((m) => `add ${set.name} ${m.entry} ${normaliseMemberOptions(m.options)}`.trimEnd());
    lines.push(...members.sort());
  }
  return lines.join('\n');
}

/** Normalise `ipset save` output for comparison. */
export function normaliseIpsetSave(text: string): string {
  return normaliseIpsetSets(parseIpsetSave(text));
}

/**
 * The sets restore input names. `flush` or `destroy` without a name reach every set,
 * and so does anything unrecognised.
 */
export function setsInRestoreInput(input: string): string[] | 'all' {
  const names = new Set<string>();
  for (const raw of input.split('\n')) {
    const [command, first, second] = words(raw.trim());
    if (command === undefined || command.startsWith('#')) continue;
    switch (command) {
      case 'create':
      case 'n':
      case 'add':
      case 'a':
      case 'del':
      case 'd':
      case 'test':
      case 'flush':
      case 'F':
      case 'destroy':
      case 'x':
        if (first === undefined) return 'all';
        names.add(first);
        break;
      case 'swap':
      case 'w':
      case 'rename':
      case 'e':
        if (first === undefined || second === undefined) return 'all';
        names.add(first);
        names.add(second);
        break;
      case 'COMMIT':
        break;
      default:
        return 'all';
    }
  }
  return [...names];
}
