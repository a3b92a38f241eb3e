// Which nft tables a script touches, so change detection can read back just those
// instead of the whole ruleset (which holds every other controller's tables too).

export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

export interface NftTableRef {
  readonly family: NftFamily;
  readonly name: string;
}

/** The whole ruleset, when a script's reach cannot be bounded to named tables. */
export type NftScope = readonly NftTableRef[] | 'ruleset';

const FAMILIES = new Set<string>(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);
const VERBS = new Set(['add', 'create', 'insert', 'replace', 'delete', 'destroy', 'flush', 'reset', 'list']);
// Objects that live inside a table: `<verb> <object> [family] <table> ...`.
const TABLE_OBJECTS = new Set([
  'chain',
  'rule',
  'set',
  'map',
  'element',
  'counter',
  'quota',
  'limit',
  'flowtable',
  'secmark',
  'synproxy',
  'ct',
]);
const NAME = /^[A-Za-z_][A-Za-z0-9_.\-/]*$/;

/** Drop `#` comments (outside double quotes) so they cannot look like commands. */
function stripComments(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === '#' && !quoted) return line.slice(0, i);
  }
  return line;
}

/** Statements of a script: split on newlines, `;`, and braces (block form). */
function statements(script: string): string[][] {
  const out: string[][] = [];
  for (const raw of script.split('\n')) {
    for (const part of stripComments(raw).split(/[;{}]/)) {
      const words = part.trim().split(/\s+/).filter(Boolean);
      if (words.length > 0) out.push(words);
    }
  }
  return out;
}

/** Read `[family] name` at `words[i]`; undefined if it is not a plain table reference. */
function tableRef(words: readonly string[], i: number): NftTableRef | undefined {
  let family: NftFamily = 'ip';
  let j = i;
  if (words[j] !== undefined && FAMILIES.has(words[j]!) && words[j + 1] !== undefined && !FAMILIES.has(words[j + 1]!)) {
    family = words[j] as NftFamily;
    j++;
  }
  const name = words[j];
  if (name === undefined || !NAME.test(name)) return undefined;
  return { family, name };
}

/**
 * The tables a script names, or 'ruleset' when it reaches beyond named tables
 * (`flush ruleset`, `include`, variables in table position, or no table at all).
 */
export function nftScriptScope(script: string): NftScope {
  const found = new Map<string, NftTableRef>();
  for (const words of statements(script)) {
    let i = 0;
    const first = words[0]!;
    if (first === 'include' || first === 'define' || first === 'redefine' || first === 'undefine') {
      if (first === 'include') return 'ruleset';
      continue;
    }
    if (words.includes('ruleset') && (VERBS.has(first) || first === 'ruleset')) return 'ruleset';
    if (VERBS.has(first)) i = 1;
    const object = words[i];
    if (object === 'table') {
      const ref = tableRef(words, i + 1);
      if (!ref) return 'ruleset';
      found.set(`${ref.family} ${ref.name}`, ref);
      continue;
    }
    // Object commands only count with a verb; inside a block `chain c` names no table.
    if (i === 1 && object !== undefined && TABLE_OBJECTS.has(object)) {
      // `ct helper|timeout|expectation` has one more word before the family.
      const at = object === 'ct' ? i + 2 : i + 1;
      const ref = tableRef(words, at);
      if (!ref) return 'ruleset';
      found.set(`${ref.family} ${ref.name}`, ref);
    }
  }
  return found.size === 0 ? 'ruleset' : [...found.values()];
}
