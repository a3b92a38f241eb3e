// BGP standard communities (RFC 1997) as text. GoBGP accepts "asn:value", a plain 32-bit
// number or a well-known name, and reports them back as "asn:value"; we normalise every
// input to that form so desired and observed values compare equal.
import { GobgpSpecError } from './errors.js';

// GoBGP's own names (pkg/packet/bgp WellKnownCommunityNameMap), so annotations written
// for kube-router keep working.
const WELL_KNOWN: ReadonlyMap<string, number> = new Map([
  ['internet', 0x00000000],
  ['planned-shut', 0xffff0000],
  ['accept-own', 0xffff0001],
  ['route-filter-translated-v4', 0xffff0002],
  ['route-filter-v4', 0xffff0003],
  ['route-filter-translated-v6', 0xffff0004],
  ['route-filter-v6', 0xffff0005],
  ['llgr-stale', 0xffff0006],
  ['no-llgr', 0xffff0007],
  ['blackhole', 0xffff029a],
  ['no-export', 0xffffff01],
  ['no-advertise', 0xffffff02],
  ['no-export-subconfed', 0xffffff03],
  ['no-peer', 0xffffff04],
]);

/** Parses a community to its 32-bit value; throws GobgpSpecError naming the input. */
export function parseCommunity(text: string): number {
  const value = tryParseCommunity(text);
  if (value === undefined) {
    throw new GobgpSpecError(`community ${JSON.stringify(text)}`, 'expected asn:value (each 0..65535), a 32-bit number or a well-known name such as no-export');
  }
  return value;
}

export function tryParseCommunity(text: string): number | undefined {
  const t = text.trim().toLowerCase().replaceAll('_', '-');
  const pair = /^(\d{1,5}):(\d{1,5})$/.exec(t);
  if (pair) {
    const high = Number(pair[1]);
    const low = Number(pair[2]);
    return high <= 0xffff && low <= 0xffff ? high * 0x10000 + low : undefined;
  }
  if (/^\d{1,10}$/.test(t)) {
    const n = Number(t);
    return n <= 0xffffffff ? n : undefined;
  }
  return WELL_KNOWN.get(t);
}

/** "asn:value", the form GoBGP reports. */
export function formatCommunity(value: number): string {
  return `${Math.floor(value / 0x10000)}:${value % 0x10000}`;
}

/** The canonical text of a community (throws on invalid input). */
export function canonicalCommunity(text: string): string {
  return formatCommunity(parseCommunity(text));
}

/** Canonical, sorted and de-duplicated: the form used for comparisons. */
export function canonicalCommunities(texts: readonly string[] | undefined): string[] {
  const values = [...new Set((texts ?? []).map(parseCommunity))].sort((a, b) => a - b);
  return values.map(formatCommunity);
}
