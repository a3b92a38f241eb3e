// PathSpec ↔ GoBGP's Path. Every prefix carries a next hop of its own family: IPv4
// unicast in the classic NEXT_HOP attribute, IPv6 unicast in MP_REACH_NLRI with the
// node's IPv6 address. Over a single IPv4 session GoBGP would otherwise fill an IPv6
// path's next hop from the session (an IPv4-mapped ::ffff:a.b.c.d, useless for routing),
// which is the trap kube-router's IPv6 document describes.
import { Cidr, IPAddress, isIPv4Mapped, parseIP, tryParseIP, type Family } from '@kr/ip';
import { gobgp, gobgpAttr, type Any } from '@kr/proto/gobgp';
import type { ObservedPath, PathSpec } from '../../model/bgp-types.js';
import { anyTypeName, packAny, unpackAny } from './any.js';
import { canonicalCommunities, formatCommunity, parseCommunity } from './communities.js';
import { GobgpSpecError } from './errors.js';
import { fromApiFamily, toApiFamily } from './families.js';

/** ORIGIN IGP: the route is ours (RFC 4271 5.1.1). */
const ORIGIN_IGP = 0;

function prefixNlri(prefix: Cidr): Any {
  return packAny('IPAddressPrefix', gobgpAttr.IPAddressPrefix, { prefix: prefix.address, prefixLen: prefix.prefixLength });
}

function nextHopAttribute(family: Family, nextHop: IPAddress, nlri: Any): Any {
  if (family === 'ipv4') return packAny('NextHopAttribute', gobgpAttr.NextHopAttribute, { nextHop: nextHop.address });
  return packAny('MpReachNLRIAttribute', gobgpAttr.MpReachNLRIAttribute, {
    family: toApiFamily('ipv6'),
    nextHops: [nextHop.address],
    nlris: [nlri],
  });
}

/** Checks a spec can be advertised as asked; throws GobgpSpecError otherwise. */
export function validatePathSpec(spec: PathSpec): void {
  const subject = `path ${spec.prefix.toString()}`;
  if (spec.nextHop.family !== spec.prefix.family) {
    throw new GobgpSpecError(subject, `next hop ${spec.nextHop.address} is not ${spec.prefix.family}: each prefix needs a next hop of its own family`);
  }
  if (isIPv4Mapped(spec.nextHop)) {
    throw new GobgpSpecError(subject, `next hop ${spec.nextHop.address} is IPv4-mapped; an IPv6 prefix needs the node's IPv6 address`);
  }
  if (spec.asPathPrepend) {
    // An AS_PATH on the path itself reaches iBGP peers too, and they drop any path that
    // carries their own ASN (GoBGP's own-AS loop check, pkg/server/peer.go), so the mesh
    // would lose the route. kube-router prepends in its export policy towards external
    // peers only; PolicyStatementSpec.actions.asPathPrepend does the same here.
    throw new GobgpSpecError(subject, 'AS-path prepend is applied by an export policy statement for external peers, not on the path');
  }
  for (const community of spec.communities ?? []) parseCommunity(community);
}

/** The GoBGP path that advertises `spec` from the global RIB. */
export function toApiPath(spec: PathSpec): gobgp.Path {
  validatePathSpec(spec);
  const family = spec.prefix.family;
  const nlri = prefixNlri(spec.prefix);
  const pattrs: Any[] = [
    packAny('OriginAttribute', gobgpAttr.OriginAttribute, { origin: ORIGIN_IGP }),
    nextHopAttribute(family, spec.nextHop, nlri),
  ];
  const communities = spec.communities ?? [];
  if (communities.length > 0) {
    pattrs.push(packAny('CommunitiesAttribute', gobgpAttr.CommunitiesAttribute, { communities: [...new Set(communities.map(parseCommunity))] }));
  }
  return gobgp.Path.fromPartial({ nlri, pattrs, family: toApiFamily(family) });
}

/**
 * The path DeletePath needs to withdraw our local route for `prefix`. GoBGP finds it by
 * NLRI (one local path per prefix), but still parses the next hop, so give it one of the
 * right family: the advertised one when known, else the unspecified address.
 */
export function toApiWithdrawal(prefix: Cidr, nextHop?: IPAddress): gobgp.Path {
  const family = prefix.family;
  const hop = nextHop && nextHop.family === family ? nextHop : parseIP(family === 'ipv4' ? '0.0.0.0' : '::');
  const nlri = prefixNlri(prefix);
  return gobgp.Path.fromPartial({
    nlri,
    pattrs: [packAny('OriginAttribute', gobgpAttr.OriginAttribute, { origin: ORIGIN_IGP }), nextHopAttribute(family, hop, nlri)],
    family: toApiFamily(family),
    isWithdraw: true,
  });
}

/** The identity of a path of ours in GoBGP: it keeps one local path per prefix. */
export function pathKey(path: { readonly prefix: Cidr }): string {
  return path.prefix.toString();
}

/**
 * Whether GoBGP already advertises `desired` as `observed` (a local path from
 * listPaths, or a previously applied spec): same prefix, next hop and communities.
 */
export function pathMatches(desired: PathSpec, observed: Pick<ObservedPath, 'prefix' | 'nextHop' | 'communities'> | PathSpec): boolean {
  return (
    desired.prefix.equals(observed.prefix) &&
    desired.nextHop.equals(observed.nextHop) &&
    sameList(canonicalCommunities(desired.communities), canonicalCommunities(observed.communities))
  );
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** What a GoBGP path says, decoded from its Any attributes. */
export interface DecodedAttributes {
  nextHop?: IPAddress;
  asPath: number[];
  communities: string[];
}

/**
 * Go prints an IPv4-mapped IPv6 address as dotted quad, so GoBGP reports the next hop of
 * an IPv6 path that a speaker filled from an IPv4 session as "a.b.c.d". On the wire it
 * is ::ffff:a.b.c.d; say so, keeping the next hop in the prefix's family, so consumers
 * see isIPv4Mapped() instead of an IPv4 gateway for an IPv6 route.
 */
function inFamily(ip: IPAddress, family: Family): IPAddress {
  return family === 'ipv6' && ip.family === 'ipv4' ? IPAddress.fromValue('ipv6', 0xffff00000000n | ip.value) : ip;
}

export function decodeAttributes(pattrs: readonly Any[], family: Family): DecodedAttributes {
  const decoded: DecodedAttributes = { asPath: [], communities: [] };
  for (const attr of pattrs) {
    switch (anyTypeName(attr)) {
      case 'NextHopAttribute': {
        decoded.nextHop = tryParseIP(unpackAny(attr, 'NextHopAttribute', gobgpAttr.NextHopAttribute)!.nextHop) ?? decoded.nextHop;
        break;
      }
      case 'MpReachNLRIAttribute': {
        // A peer may send a global and a link-local IPv6 next hop (RFC 2545); GoBGP lists
        // the global one first. Routes go via the global address.
        const hops = unpackAny(attr, 'MpReachNLRIAttribute', gobgpAttr.MpReachNLRIAttribute)!.nextHops;
        const parsed = hops.map((h) => tryParseIP(h)).filter((h): h is IPAddress => h !== undefined);
        const hop = parsed.find((h) => !isLinkLocal(h)) ?? parsed[0];
        if (hop) decoded.nextHop = inFamily(hop, family);
        break;
      }
      case 'AsPathAttribute': {
        const segments = unpackAny(attr, 'AsPathAttribute', gobgpAttr.AsPathAttribute)!.segments;
        decoded.asPath = segments.flatMap((s) => s.numbers);
        break;
      }
      case 'CommunitiesAttribute': {
        decoded.communities = unpackAny(attr, 'CommunitiesAttribute', gobgpAttr.CommunitiesAttribute)!.communities.map(formatCommunity);
        break;
      }
      default:
        break;
    }
  }
  return decoded;
}

function isLinkLocal(ip: IPAddress): boolean {
  return ip.family === 'ipv6' && ip.value >> 118n === 0x3fan;
}

/** GoBGP reports the source of a local path as an unset address. */
function sourcePeer(path: gobgp.Path): IPAddress | undefined {
  const ip = tryParseIP(path.neighborIp);
  return ip && ip.value !== 0n ? ip : undefined;
}

/**
 * Decodes a GoBGP path of IPv4/IPv6 unicast; undefined for other families or an NLRI
 * that is not a plain prefix. `best` overrides the flag (WatchEvent's BEST filter only
 * reports best paths but does not set it).
 */
export function fromApiPath(path: gobgp.Path, options: { best?: boolean } = {}): ObservedPath | undefined {
  const family = fromApiFamily(path.family);
  if (!family || !path.nlri) return undefined;
  const nlri = unpackAny(path.nlri, 'IPAddressPrefix', gobgpAttr.IPAddressPrefix);
  const network = nlri && tryParseIP(nlri.prefix);
  if (!nlri || !network || network.family !== family) return undefined;
  const attributes = decodeAttributes(path.pattrs, family);
  const peer = sourcePeer(path);
  return {
    prefix: Cidr.of(network, nlri.prefixLen),
    // A withdrawal may come without attributes; the unspecified address says "none".
    nextHop: attributes.nextHop ?? parseIP(family === 'ipv4' ? '0.0.0.0' : '::'),
    ...(peer ? { peer } : {}),
    asPath: attributes.asPath,
    communities: attributes.communities,
    withdrawal: path.isWithdraw,
    best: options.best ?? path.best,
    local: peer === undefined,
    ...(path.filtered ? { filtered: true } : {}),
  };
}
