// DefinedSetSpec ↔ GoBGP defined sets.
//
// Two GoBGP 3.10 quirks shape the mapping (internal/pkg/table/policy.go):
// - A prefix set holds one family only ("can't append different family"; kube-router's
//   customimportreject is single-family because of it). One of our prefix sets is
//   therefore two GoBGP sets, `<name>-ipv4` and `<name>-ipv6`, and a policy statement
//   that matches it becomes one statement per family (see policies.ts). A prefix
//   condition never matches a path of the other family, inverted or not, so the pair
//   behaves as one dual-stack set.
// - Empty sets do not mean "matches nothing": a neighbour condition on an empty set
//   matches every path (any or invert), and a prefix set created empty has no family, so
//   an inverted condition on it matches nothing. Every prefix and neighbour set we
//   create therefore holds a sentinel entry that no real route or peer can equal
//   (0.0.0.0/32, ::/128 and the neighbour 0.0.0.0/32): sets are never empty, always
//   typed, and "any"/"invert" mean what they say. Listing hides the sentinels.
// Sets are edited in place (add missing entries, remove extra ones) because GoBGP refuses
// to delete a set a policy references, and appends duplicates rather than merging them.
import { parseCIDR, tryParseCIDR, type Cidr, type Family } from '@kr/ip';
import { gobgp } from '@kr/proto/gobgp';
import type { DefinedSetSpec } from '../../model/bgp-types.js';
import { formatCommunity, tryParseCommunity } from './communities.js';

export type DefinedSetKind = DefinedSetSpec['kind'];
type PrefixEntry = Extract<DefinedSetSpec, { kind: 'prefix' }>['prefixes'][number];

const SENTINEL_PREFIX: Record<Family, PrefixEntry> = {
  ipv4: { cidr: parseCIDR('0.0.0.0/32'), maskLengthMin: 32, maskLengthMax: 32 },
  ipv6: { cidr: parseCIDR('::/128'), maskLengthMin: 128, maskLengthMax: 128 },
};
const SENTINEL_NEIGHBOR = parseCIDR('0.0.0.0/32');

const API_TYPE: Record<DefinedSetKind, gobgp.DefinedType> = {
  prefix: gobgp.DefinedType.PREFIX,
  neighbor: gobgp.DefinedType.NEIGHBOR,
  community: gobgp.DefinedType.COMMUNITY,
};

export function apiDefinedType(kind: DefinedSetKind): gobgp.DefinedType {
  return API_TYPE[kind];
}

/** The GoBGP prefix set holding one family of our prefix set `name`. */
export function familyPrefixSetName(name: string, family: Family): string {
  return `${name}-${family}`;
}

function splitFamilyName(gobgpName: string): { name: string; family: Family } | undefined {
  const match = /^(.+)-(ipv4|ipv6)$/.exec(gobgpName);
  return match ? { name: match[1]!, family: match[2] as Family } : undefined;
}

export function definedSetKey(spec: Pick<DefinedSetSpec, 'kind' | 'name'>): string {
  return `${spec.kind}/${spec.name}`;
}

/**
 * A community set entry in canonical form. GoBGP matches community sets as regular
 * expressions, so an entry that is not a community is passed through as one.
 */
function communityEntry(text: string): string {
  const value = tryParseCommunity(text);
  return value === undefined ? text : formatCommunity(value);
}

const prefixEntryKey = (p: PrefixEntry) => `${p.cidr.toString()} ${p.maskLengthMin}..${p.maskLengthMax}`;
const isSentinelPrefix = (p: PrefixEntry) => prefixEntryKey(p) === prefixEntryKey(SENTINEL_PREFIX[p.cidr.family]);

/** The entries of a set in canonical text, sorted and de-duplicated (for comparisons). */
export function definedSetEntries(spec: DefinedSetSpec): string[] {
  const entries =
    spec.kind === 'prefix'
      ? spec.prefixes.map(prefixEntryKey)
      : spec.kind === 'neighbor'
        ? spec.neighbors.map((n) => n.toString())
        : spec.communities.map(communityEntry);
  return [...new Set(entries)].sort();
}

export function definedSetEquals(a: DefinedSetSpec, b: DefinedSetSpec): boolean {
  if (a.kind !== b.kind || a.name !== b.name) return false;
  const x = definedSetEntries(a);
  const y = definedSetEntries(b);
  return x.length === y.length && x.every((e, i) => e === y[i]);
}

function apiPrefix(p: PrefixEntry): gobgp.Prefix {
  return { ipPrefix: p.cidr.toString(), maskLengthMin: p.maskLengthMin, maskLengthMax: p.maskLengthMax };
}

/**
 * GoBGP sets holding exactly `spec` (with sentinels): what AddDefinedSet needs for a
 * set that does not exist yet.
 */
export function toApiDefinedSets(spec: DefinedSetSpec): gobgp.DefinedSet[] {
  return toApiEntries(spec, true);
}

function toApiEntries(spec: DefinedSetSpec, withSentinels: boolean): gobgp.DefinedSet[] {
  switch (spec.kind) {
    case 'prefix':
      return (['ipv4', 'ipv6'] as const).map((family) => {
        const entries = spec.prefixes.filter((p) => p.cidr.family === family);
        if (withSentinels) entries.unshift(SENTINEL_PREFIX[family]);
        return gobgp.DefinedSet.fromPartial({
          definedType: gobgp.DefinedType.PREFIX,
          name: familyPrefixSetName(spec.name, family),
          prefixes: uniqueBy(entries, prefixEntryKey).map(apiPrefix),
        });
      });
    case 'neighbor':
      return [
        gobgp.DefinedSet.fromPartial({
          definedType: gobgp.DefinedType.NEIGHBOR,
          name: spec.name,
          list: uniqueBy([...(withSentinels ? [SENTINEL_NEIGHBOR] : []), ...spec.neighbors], (c) => c.toString()).map((c) => c.toString()),
        }),
      ];
    case 'community':
      return [
        gobgp.DefinedSet.fromPartial({
          definedType: gobgp.DefinedType.COMMUNITY,
          name: spec.name,
          list: [...new Set(spec.communities.map(communityEntry))],
        }),
      ];
  }
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Reads GoBGP's sets back as specs: `<name>-ipv4`/`<name>-ipv6` pairs become one dual
 * prefix set, sentinels are dropped. A prefix set without the family suffix (not ours)
 * is reported under its own name.
 */
export function fromApiDefinedSets(sets: readonly gobgp.DefinedSet[]): DefinedSetSpec[] {
  const prefixSets = new Map<string, PrefixEntry[]>();
  const result: DefinedSetSpec[] = [];
  for (const set of sets) {
    switch (set.definedType) {
      case gobgp.DefinedType.PREFIX: {
        const name = splitFamilyName(set.name)?.name ?? set.name;
        const entries = prefixSets.get(name) ?? [];
        prefixSets.set(name, entries);
        for (const p of set.prefixes) {
          const cidr = tryParseCIDR(p.ipPrefix);
          if (!cidr) continue;
          const entry = { cidr, maskLengthMin: p.maskLengthMin, maskLengthMax: p.maskLengthMax };
          if (!isSentinelPrefix(entry)) entries.push(entry);
        }
        break;
      }
      case gobgp.DefinedType.NEIGHBOR:
        result.push({
          kind: 'neighbor',
          name: set.name,
          neighbors: set.list
            .map((n) => tryParseCIDR(n))
            .filter((c): c is Cidr => c !== undefined && !c.equals(SENTINEL_NEIGHBOR)),
        });
        break;
      case gobgp.DefinedType.COMMUNITY:
        result.push({ kind: 'community', name: set.name, communities: set.list.map(communityFromRegexp) });
        break;
      default:
        break;
    }
  }
  for (const [name, prefixes] of prefixSets) result.push({ kind: 'prefix', name, prefixes });
  return result.sort((a, b) => definedSetKey(a).localeCompare(definedSetKey(b)));
}

/** GoBGP stores community set members as regular expressions ("^65000:100$"). */
function communityFromRegexp(text: string): string {
  const exact = /^\^(\d+:\d+)\$$/.exec(text);
  return exact ? exact[1]! : text;
}

/** GoBGP set names (with their type) that back our set `spec`. */
export function apiSetNames(spec: Pick<DefinedSetSpec, 'kind' | 'name'>): string[] {
  return spec.kind === 'prefix' ? [familyPrefixSetName(spec.name, 'ipv4'), familyPrefixSetName(spec.name, 'ipv6')] : [spec.name];
}

/**
 * The in-place edits that turn `observed` (as listed) into `desired`: entries to add
 * and entries to remove, as GoBGP sets of the same names. Sentinels are never removed.
 */
export function definedSetChanges(desired: DefinedSetSpec, observed: DefinedSetSpec): { add: gobgp.DefinedSet[]; remove: gobgp.DefinedSet[] } {
  const want = toApiEntries(desired, false);
  const have = toApiEntries(observed, false);
  const add: gobgp.DefinedSet[] = [];
  const remove: gobgp.DefinedSet[] = [];
  want.forEach((w, i) => {
    const h = have[i]!;
    const entryKeys = (s: gobgp.DefinedSet) =>
      s.definedType === gobgp.DefinedType.PREFIX ? s.prefixes.map((p) => `${p.ipPrefix} ${p.maskLengthMin}..${p.maskLengthMax}`) : s.list;
    const wantKeys = new Set(entryKeys(w));
    const haveKeys = new Set(entryKeys(h));
    const missing = (s: gobgp.DefinedSet, keep: Set<string>) => {
      const keys = entryKeys(s);
      return s.definedType === gobgp.DefinedType.PREFIX
        ? { ...s, prefixes: s.prefixes.filter((_, j) => !keep.has(keys[j]!)), list: [] }
        : { ...s, prefixes: [], list: s.list.filter((x) => !keep.has(x)) };
    };
    const toAdd = missing(w, haveKeys);
    const toRemove = missing(h, wantKeys);
    if (toAdd.prefixes.length + toAdd.list.length > 0) add.push(toAdd);
    if (toRemove.prefixes.length + toRemove.list.length > 0) remove.push(toRemove);
  });
  return { add, remove };
}
