// Node-specific external BGP peers from the local node's annotations: kube-router's
// consolidated kube-router.io/peers (YAML) or the older kube-router.io/peer.* lists.
// Pure; every bad item is reported naming the node and the annotation, and skips only
// its own peer.
import { createRequire } from 'node:module';
import { errorMessage, type ObjectInputError } from '@kr/errors';
import { parseIP, type EnabledFamilies, type IPAddress } from '@kr/ip';
import { base64String } from '@kr/k8s';
import type { V1Node } from '@kubernetes/client-node';
import { parsePeerAsn, parsePort, problem, reason, splitAligned } from './values.js';

/** kube-router's consolidated YAML form of the peer.* annotations (preferred there). */
export const PEERS_ANNOTATION = 'kube-router.io/peers';

export const PEER_IPS_ANNOTATION = 'kube-router.io/peer.ips';
export const PEER_ASNS_ANNOTATION = 'kube-router.io/peer.asns';
export const PEER_PORTS_ANNOTATION = 'kube-router.io/peer.ports';
export const PEER_PASSWORDS_ANNOTATION = 'kube-router.io/peer.passwords';
export const PEER_LOCAL_IPS_ANNOTATION = 'kube-router.io/peer.localips';

/** One node-specific external peer from the kube-router.io/peer.* annotations. */
export interface AnnotatedPeer {
  readonly address: IPAddress;
  readonly asn: number;
  readonly port?: number;
  readonly password?: string;
  readonly localAddress?: IPAddress;
  /** 1-based position in the annotation lists, for messages. */
  readonly index: number;
}


/** The node's external peers; the consolidated annotation, when present, is the only source (as kube-router). */
export function peerAnnotations(node: V1Node, families: EnabledFamilies, problems: ObjectInputError[]): AnnotatedPeer[] {
  const annotations = node.metadata?.annotations ?? {};
  const peersText = annotations[PEERS_ANNOTATION];
  if (peersText === undefined) return annotatedPeers(node, families, problems);
  for (const key of [PEER_IPS_ANNOTATION, PEER_ASNS_ANNOTATION, PEER_PORTS_ANNOTATION, PEER_PASSWORDS_ANNOTATION, PEER_LOCAL_IPS_ANNOTATION]) {
    if (annotations[key] !== undefined) problems.push(problem(node, key, `ignored: ${PEERS_ANNOTATION} is set and takes precedence (as in kube-router)`));
  }
  return consolidatedPeers(node, peersText, families, problems);
}

/**
 * The peer.* annotations are lists aligned by position: ips and asns must have the same
 * length; ports, passwords and localips none or one per peer, blank items meaning the
 * default (as kube-router). A length mismatch makes the alignment meaningless (the wrong
 * password would go to the wrong router), so it disables every annotated peer of the
 * node; a bad item disables only its own peer.
 */
function annotatedPeers(node: V1Node, families: EnabledFamilies, problems: ObjectInputError[]): AnnotatedPeer[] {
  const annotations = node.metadata?.annotations ?? {};
  const ipsText = annotations[PEER_IPS_ANNOTATION];
  const asnsText = annotations[PEER_ASNS_ANNOTATION];
  if (ipsText === undefined && asnsText === undefined) return [];
  if (ipsText === undefined || asnsText === undefined) {
    const [present, missing] = ipsText === undefined ? [PEER_ASNS_ANNOTATION, PEER_IPS_ANNOTATION] : [PEER_IPS_ANNOTATION, PEER_ASNS_ANNOTATION];
    problems.push(problem(node, present, `ignored: ${missing} is missing`));
    return [];
  }
  const ips = splitAligned(ipsText);
  const asns = splitAligned(asnsText);
  if (asns.length !== ips.length) {
    problems.push(problem(node, PEER_ASNS_ANNOTATION, `${asns.length} ASNs for ${ips.length} ${PEER_IPS_ANNOTATION}; the lists must be of equal length (no annotated peer is used)`));
    return [];
  }
  const optional = (key: string) => {
    const items = splitAligned(annotations[key] ?? '');
    if (items.length !== 0 && items.length !== ips.length) {
      problems.push(problem(node, key, `${items.length} items for ${ips.length} ${PEER_IPS_ANNOTATION}; give none or one per peer, blank for the default (no annotated peer is used)`));
      return undefined;
    }
    return items;
  };
  const ports = optional(PEER_PORTS_ANNOTATION);
  const passwords = optional(PEER_PASSWORDS_ANNOTATION);
  const localIps = optional(PEER_LOCAL_IPS_ANNOTATION);
  if (!ports || !passwords || !localIps) return [];

  const peers: AnnotatedPeer[] = [];
  ips.forEach((ip, i) => {
    const fields = { ip, asn: asns[i] as string, port: ports[i] ?? '', password: passwords[i] ?? '', localIp: localIps[i] ?? '' };
    const keys = { ip: PEER_IPS_ANNOTATION, asn: PEER_ASNS_ANNOTATION, port: PEER_PORTS_ANNOTATION, password: PEER_PASSWORDS_ANNOTATION, localIp: PEER_LOCAL_IPS_ANNOTATION };
    const peer = validatePeer(fields, i + 1, families, peers, (field, why) => problems.push(problem(node, keys[field], `item ${i + 1}: ${why}; peer skipped`)));
    if (peer) peers.push(peer);
  });
  return peers;
}

interface PeerFields {
  readonly ip: string;
  readonly asn: string;
  /** '' = default */
  readonly port: string;
  readonly password: string;
  readonly localIp: string;
}

/** One external peer's values, as text; undefined (after reporting) when one is bad. */
function validatePeer(
  fields: PeerFields,
  index: number,
  families: EnabledFamilies,
  earlier: readonly AnnotatedPeer[],
  bad: (field: keyof PeerFields, why: string) => void,
): AnnotatedPeer | undefined {
  let address: IPAddress;
  try {
    address = parseIP(fields.ip);
  } catch (err) {
    bad('ip', `${JSON.stringify(fields.ip)}: ${reason(err)}`);
    return undefined;
  }
  if (!families[address.family]) return void bad('ip', `${address.address}: ${address.family} is not enabled`);
  if (earlier.some((p) => p.address.equals(address))) return void bad('ip', `${address.address} is listed twice`);
  const asn = parsePeerAsn(fields.asn);
  if (typeof asn === 'string') return void bad('asn', asn);
  const port = parsePort(fields.port);
  if (typeof port === 'string') return void bad('port', port);
  let password: string | undefined;
  if (fields.password !== '') {
    try {
      password = base64String(fields.password);
    } catch {
      return void bad('password', 'not valid base64');
    }
  }
  let localAddress: IPAddress | undefined;
  if (fields.localIp !== '') {
    try {
      localAddress = parseIP(fields.localIp);
    } catch (err) {
      return void bad('localIp', `${JSON.stringify(fields.localIp)}: ${reason(err)}`);
    }
    if (localAddress.family !== address.family) return void bad('localIp', `${localAddress.address} is not of the peer's family (${address.address})`);
  }
  return {
    address,
    asn,
    index,
    ...(port !== undefined ? { port } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(localAddress ? { localAddress } : {}),
  };
}

// yaml is loaded only when a node carries the consolidated annotation: most never do,
// and the router's memory budget is tight.
const requireModule = createRequire(import.meta.url);

/**
 * kube-router.io/peers: a YAML list of {remoteip, remoteasn, localip?, password? (base64),
 * port?}. A bad entry is skipped and reported; the others apply. BFD settings (`bfd`) are
 * not supported (GoBGP's sidecar is driven without them) and are reported as ignored.
 */
function consolidatedPeers(node: V1Node, text: string, families: EnabledFamilies, problems: ObjectInputError[]): AnnotatedPeer[] {
  let entries: unknown;
  try {
    entries = (requireModule('yaml') as { parse(source: string): unknown }).parse(text);
  } catch (err) {
    problems.push(problem(node, PEERS_ANNOTATION, `not valid YAML: ${errorMessage(err)}`));
    return [];
  }
  if (!Array.isArray(entries)) {
    problems.push(problem(node, PEERS_ANNOTATION, 'must be a YAML list of peers (- remoteip: ..., remoteasn: ...)'));
    return [];
  }
  const peers: AnnotatedPeer[] = [];
  entries.forEach((entry: unknown, i) => {
    const index = i + 1;
    const bad = (why: string) => problems.push(problem(node, PEERS_ANNOTATION, `item ${index}: ${why}; peer skipped`));
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return void bad('not a map of peer settings');
    const e = entry as Record<string, unknown>;
    if (e['remoteip'] === undefined) return void bad('remoteip is required');
    if (e['remoteasn'] === undefined) return void bad('remoteasn is required');
    if (e['bfd'] !== undefined) problems.push(problem(node, PEERS_ANNOTATION, `item ${index}: bfd is not supported and is ignored`));
    const text = (v: unknown) => (v === undefined || v === null ? '' : String(v).trim());
    const fields: PeerFields = { ip: text(e['remoteip']), asn: text(e['remoteasn']), port: text(e['port']), password: text(e['password']), localIp: text(e['localip']) };
    const names: Record<keyof PeerFields, string> = { ip: 'remoteip', asn: 'remoteasn', port: 'port', password: 'password', localIp: 'localip' };
    const peer = validatePeer(fields, index, families, peers, (field, why) => bad(`${names[field]}: ${why}`));
    if (peer) peers.push(peer);
  });
  return peers;
}

