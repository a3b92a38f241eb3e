// What the router reads from Node objects: addresses per family, the BGP addresses
// (kube-router.io/bgp-local-addresses), the node ASN and route-reflector role of every
// node, and the settings only the local node's annotations carry (communities, AS-path
// prepend, custom import reject, node-specific external peers, in peer-annotations.ts). Pure; bad values become
// ObjectInputErrors naming the node and the annotation, and the rest still applies.
import type { ObjectInputError } from '@kr/errors';
import { parseCIDR, parseIP, type Cidr, type EnabledFamilies, type Family, type IPAddress, type PerFamily } from '@kr/ip';
import { nodeInternalIPs } from '@kr/k8s';
import type { V1Node } from '@kubernetes/client-node';
import { peerAnnotations, type AnnotatedPeer } from './peer-annotations.js';
import { communityProblem, parseAsn, problem, reason, splitAligned } from './values.js';

export const NODE_ASN_ANNOTATION = 'kube-router.io/node.asn';
export const RR_SERVER_ANNOTATION = 'kube-router.io/rr.server';
export const RR_CLIENT_ANNOTATION = 'kube-router.io/rr.client';
export const BGP_LOCAL_ADDRESSES_ANNOTATION = 'kube-router.io/bgp-local-addresses';
export const COMMUNITIES_ANNOTATION = 'kube-router.io/node.bgp.communities';
export const CUSTOM_IMPORT_REJECT_ANNOTATION = 'kube-router.io/node.bgp.customimportreject';
export const PATH_PREPEND_AS_ANNOTATION = 'kube-router.io/path-prepend.as';
export const PATH_PREPEND_REPEAT_ANNOTATION = 'kube-router.io/path-prepend.repeat-n';

export type RouteReflectorRole = { readonly role: 'server' | 'client'; readonly clusterId: string };

/** What every node's object says about its BGP speaker. */
export interface NodeBgpView {
  readonly name: string;
  /** The node's address per family (first InternalIP, else ExternalIP): next hops, tunnel ends. */
  readonly addresses: PerFamily<IPAddress>;
  /** Every address the node is known by (status and BGP addresses), to recognise next hops. */
  readonly knownAddresses: readonly IPAddress[];
  /** Addresses its BGP speaker listens and peers on, of enabled families, primary first. */
  readonly bgpAddresses: readonly IPAddress[];
  /** kube-router.io/node.asn, when present and valid. */
  readonly asn?: number;
  readonly routeReflector?: RouteReflectorRole;
  readonly problems: readonly ObjectInputError[];
}


export function nodeBgpView(node: V1Node, families: EnabledFamilies): NodeBgpView {
  const problems: ObjectInputError[] = [];
  const annotations = node.metadata?.annotations ?? {};
  const status = nodeInternalIPs(node);
  problems.push(...status.warnings);

  // The BGP addresses: the override annotation, else the primary address of each family.
  let bgpAddresses: IPAddress[] = [];
  const overrideText = annotations[BGP_LOCAL_ADDRESSES_ANNOTATION];
  if (overrideText !== undefined) {
    splitAligned(overrideText).forEach((item, index) => {
      if (item === '') return;
      try {
        const ip = parseIP(item);
        if (!families[ip.family]) problems.push(problem(node, BGP_LOCAL_ADDRESSES_ANNOTATION, `item ${index + 1} ${ip.address}: ${ip.family} is not enabled`));
        else if (!bgpAddresses.some((a) => a.equals(ip))) bgpAddresses.push(ip);
      } catch (err) {
        problems.push(problem(node, BGP_LOCAL_ADDRESSES_ANNOTATION, `item ${index + 1} ${JSON.stringify(item)}: ${reason(err)}`));
      }
    });
    if (bgpAddresses.length === 0) problems.push(problem(node, BGP_LOCAL_ADDRESSES_ANNOTATION, 'no usable address; using the node addresses'));
  }
  if (bgpAddresses.length === 0) {
    // Primary of each enabled family, the family of the node's first address first.
    const first = status.all.find((a) => families[a.family])?.family;
    const order: Family[] = first === 'ipv6' ? ['ipv6', 'ipv4'] : ['ipv4', 'ipv6'];
    bgpAddresses = order.flatMap((f) => (families[f] && status[f] ? [status[f]] : []));
  }

  const known = [...status.all];
  for (const a of bgpAddresses) if (!known.some((k) => k.equals(a))) known.push(a);

  let asn: number | undefined;
  const asnText = annotations[NODE_ASN_ANNOTATION];
  if (asnText !== undefined) {
    const parsed = parseAsn(asnText);
    if (typeof parsed === 'number') asn = parsed;
    else problems.push(problem(node, NODE_ASN_ANNOTATION, parsed));
  }

  let routeReflector: RouteReflectorRole | undefined;
  const server = annotations[RR_SERVER_ANNOTATION];
  const client = annotations[RR_CLIENT_ANNOTATION];
  if (server !== undefined && client !== undefined) {
    problems.push(problem(node, RR_CLIENT_ANNOTATION, `ignored: ${RR_SERVER_ANNOTATION} is also set and takes precedence (as in kube-router)`));
  }
  const rrKey = server !== undefined ? RR_SERVER_ANNOTATION : client !== undefined ? RR_CLIENT_ANNOTATION : undefined;
  if (rrKey) {
    const clusterId = parseClusterId(annotations[rrKey] as string);
    if (typeof clusterId === 'string' && clusterId.startsWith('!')) problems.push(problem(node, rrKey, clusterId.slice(1)));
    else routeReflector = { role: rrKey === RR_SERVER_ANNOTATION ? 'server' : 'client', clusterId };
  }

  return {
    name: node.metadata?.name ?? '',
    addresses: { ...(status.ipv4 ? { ipv4: status.ipv4 } : {}), ...(status.ipv6 ? { ipv6: status.ipv6 } : {}) },
    knownAddresses: known,
    bgpAddresses,
    ...(asn !== undefined ? { asn } : {}),
    ...(routeReflector ? { routeReflector } : {}),
    problems,
  };
}

/**
 * A route-reflector cluster id: a 32-bit number or an IPv4 address (kube-router accepts
 * both), normalised to the dotted quad GoBGP's configuration uses. Errors come back
 * prefixed with "!".
 */
function parseClusterId(text: string): string {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const n = Number(trimmed);
    if (n > 4294967295) return `!${trimmed} is out of range for a cluster id (32 bits)`;
    return [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');
  }
  try {
    const ip = parseIP(trimmed);
    if (ip.family === 'ipv4') return ip.address;
  } catch {
    // fall through to the reason below
  }
  return `!${JSON.stringify(text)} is not a cluster id (a 32-bit number or an IPv4 address)`;
}


/** Settings only the local node's annotations carry. */
export interface LocalBgpSettings {
  readonly communities: readonly string[];
  readonly pathPrepend?: { readonly asn: number; readonly repeat: number };
  readonly customImportReject: readonly Cidr[];
  readonly peers: readonly AnnotatedPeer[];
  readonly problems: readonly ObjectInputError[];
}

export function localBgpSettings(node: V1Node, families: EnabledFamilies): LocalBgpSettings {
  const annotations = node.metadata?.annotations ?? {};
  const problems: ObjectInputError[] = [];

  const communities: string[] = [];
  splitAligned(annotations[COMMUNITIES_ANNOTATION] ?? '').forEach((item, index) => {
    if (item === '') return;
    const why = communityProblem(item);
    if (why) problems.push(problem(node, COMMUNITIES_ANNOTATION, `item ${index + 1}: ${why}`));
    else if (!communities.includes(item)) communities.push(item);
  });

  let pathPrepend: LocalBgpSettings['pathPrepend'];
  const prependAs = annotations[PATH_PREPEND_AS_ANNOTATION];
  const prependRepeat = annotations[PATH_PREPEND_REPEAT_ANNOTATION];
  if (prependAs !== undefined || prependRepeat !== undefined) {
    if (prependAs === undefined) problems.push(problem(node, PATH_PREPEND_REPEAT_ANNOTATION, `ignored: ${PATH_PREPEND_AS_ANNOTATION} must be set as well`));
    else if (prependRepeat === undefined) problems.push(problem(node, PATH_PREPEND_AS_ANNOTATION, `ignored: ${PATH_PREPEND_REPEAT_ANNOTATION} must be set as well`));
    else {
      const asn = parseAsn(prependAs);
      const repeat = /^\d+$/.test(prependRepeat.trim()) ? Number(prependRepeat.trim()) : NaN;
      if (typeof asn === 'string') problems.push(problem(node, PATH_PREPEND_AS_ANNOTATION, asn));
      else if (!(repeat >= 0 && repeat <= 255)) problems.push(problem(node, PATH_PREPEND_REPEAT_ANNOTATION, `${JSON.stringify(prependRepeat)} is not a repeat count (0..255)`));
      else if (repeat > 0) pathPrepend = { asn, repeat };
    }
  }

  // Both families in one annotation: kube-router historically managed only one.
  const customImportReject: Cidr[] = [];
  splitAligned(annotations[CUSTOM_IMPORT_REJECT_ANNOTATION] ?? '').forEach((item, index) => {
    if (item === '') return;
    try {
      const cidr = parseCIDR(item);
      if (!families[cidr.family]) problems.push(problem(node, CUSTOM_IMPORT_REJECT_ANNOTATION, `item ${index + 1} ${cidr.toString()}: ${cidr.family} is not enabled`));
      else if (!customImportReject.some((c) => c.equals(cidr))) customImportReject.push(cidr);
    } catch (err) {
      problems.push(problem(node, CUSTOM_IMPORT_REJECT_ANNOTATION, `item ${index + 1} ${JSON.stringify(item)}: ${reason(err)}`));
    }
  });

  const peers = peerAnnotations(node, families, problems);
  return { communities, ...(pathPrepend ? { pathPrepend } : {}), customImportReject, peers, problems };
}

