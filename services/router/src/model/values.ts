// Value parsers shared by the flags (config.ts) and the node annotations: ASNs, lists
// aligned by position, communities; and how a bad annotation is reported. Pure; failures
// come back as reasons.
import { AddressError, errorMessage, type ObjectInputError } from '@kr/errors';
import { annotationField, objectInputError } from '@kr/k8s';
import type { V1Node } from '@kubernetes/client-node';

/** A problem with one of the node's annotations: `Node a: metadata.annotations["key"]: reason`. */
export function problem(node: V1Node, key: string, reason: string): ObjectInputError {
  return objectInputError(node, annotationField(key), reason);
}

/** The reason alone: an AddressError's message repeats the input, which we already quote. */
export function reason(err: unknown): string {
  return err instanceof AddressError ? err.reason : errorMessage(err);
}

/** Splits a comma list keeping blank items in place (`a,,b` → three items), as pflag's CSV does. */
export function splitAligned(raw: string): string[] {
  if (raw.trim() === '') return [];
  return raw.split(',').map((item) => item.trim());
}

/** A 32-bit ASN (1..4294967295, decimal); the reason on failure. */
export function parseAsn(text: string): number | string {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return `${JSON.stringify(text)} is not an ASN (a number 1..4294967295)`;
  const asn = Number(trimmed);
  if (asn < 1 || asn > 4294967295) return `${trimmed} is out of range 1..4294967295`;
  return asn;
}

/**
 * Peer ASNs that BGP reserves (AS 0, AS_TRANS 23456, the documentation ranges, the last
 * ASNs of each size) cannot be a peer's: the same ranges kube-router refuses.
 */
export function peerAsnProblem(asn: number): string | undefined {
  const usable =
    (asn >= 1 && asn <= 23455) ||
    (asn >= 23457 && asn <= 63999) ||
    (asn >= 64512 && asn <= 65534) ||
    (asn >= 131072 && asn <= 4199999999) ||
    (asn >= 4200000000 && asn <= 4294967294);
  return usable ? undefined : `${asn} is a reserved ASN`;
}

/** A peer's ASN: parseAsn plus the reserved ranges. */
export function parsePeerAsn(text: string): number | string {
  const asn = parseAsn(text);
  return typeof asn === 'string' ? asn : (peerAsnProblem(asn) ?? asn);
}

/** A TCP port 1..65535; undefined for a blank item (the caller's default applies). */
export function parsePort(text: string): number | string | undefined {
  if (text === '') return undefined;
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  return port >= 1 && port <= 65535 ? port : `${JSON.stringify(text)} is not a port (1-65535)`;
}

// GoBGP's well-known community names (pkg/packet/bgp WellKnownCommunityNameMap), which
// kube-router accepts besides the numeric forms.
const WELL_KNOWN_COMMUNITIES = new Set([
  'internet', 'graceful-shutdown', 'accept-own', 'route-filter-translated-v4', 'route-filter-v4',
  'route-filter-translated-v6', 'route-filter-v6', 'llgr-stale', 'no-llgr', 'blackhole',
  'no-export', 'no-advertise', 'no-export-subconfed', 'no-peer',
]);

/** kube-router's community syntax: a 32-bit number, "16-bit:16-bit", or a well-known name. */
export function communityProblem(text: string): string | undefined {
  if (/^\d+$/.test(text) && Number(text) <= 0xffffffff) return undefined;
  const m = /^(\d+):(\d+)$/.exec(text);
  if (m && Number(m[1]) <= 0xffff && Number(m[2]) <= 0xffff) return undefined;
  if (WELL_KNOWN_COMMUNITIES.has(text)) return undefined;
  return `${JSON.stringify(text)} is not a BGP community (a 32-bit number, two 16-bit numbers as "a:b", or a well-known name such as no-export)`;
}
