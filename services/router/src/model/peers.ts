// The BGP speaker and its neighbours, as kube-router sets them up. Pure.
//
// Global (StartBgp): the node ASN is --cluster-asn in full-mesh mode; with
// --nodes-full-mesh=false it is the node's kube-router.io/node.asn (kube-router refuses to
// start without it; we fall back to --cluster-asn and report the node). It listens on the
// node's BGP addresses (kube-router.io/bgp-local-addresses, else the primary address of
// each enabled family) at --bgp-port.
//
// Sessions: one per neighbour, carrying every enabled family (MP-BGP); each prefix keeps
// a next hop of its own family (see advertisements.ts). The node peers from its session
// address: its first BGP address (the primary InternalIP unless the annotation overrides
// it). A node is peered on its own BGP address of the session's family: kube-router
// peers on the remote node's primary IP and skips nodes whose primary family differs;
// using the remote's BGP addresses also honours its bgp-local-addresses.
//
// Node mesh (--enable-ibgp, kube-router's syncInternalPeers):
// - full mesh: every other node, with our ASN;
// - --nodes-full-mesh=false: only nodes whose node.asn equals ours;
// - route reflection (rr.server / rr.client, a 32-bit cluster id or an IPv4 address): a
//   client peers only with servers; a server peers with every other node and marks the
//   clients as its route-reflector clients (with its own cluster id). kube-router's code
//   does not compare cluster ids (its documentation says only equal ids peer); we follow
//   the code, which is what clusters run today.
//
// External peers: --peer-router-* for every node; the node's kube-router.io/peer.*
// annotations only when no global peer is configured (kube-router's precedence). Port
// 179 unless given; local address from peer.localips, else the node's BGP address of the
// peer's family; eBGP multihop when --peer-router-multihop-ttl > 1.
//
// --bgp-holdtime applies to every session (keepalive = hold/3, GoBGP's default ratio);
// kube-router sets it on external peers only, but its default equals GoBGP's, so the
// default behaviour is unchanged. Graceful restart applies to every session.
import type { ObjectInputError } from '@kr/errors';
import { FAMILIES, compareIPs, type EnabledFamilies, type IPAddress } from '@kr/ip';
import { annotationField, objectInputError } from '@kr/k8s';
import type { V1Node } from '@kubernetes/client-node';
import type { BgpGlobal, GracefulRestartSpec, PeerSpec } from './bgp-types.js';
import { NODE_ASN_ANNOTATION, localBgpSettings, nodeBgpView, type LocalBgpSettings, type NodeBgpView } from './node-bgp.js';
import { PEERS_ANNOTATION, PEER_IPS_ANNOTATION } from './peer-annotations.js';

export type RouterIdSetting = { readonly kind: 'auto' } | { readonly kind: 'generate' } | { readonly kind: 'fixed'; readonly id: string };

export interface ExternalPeerSetting {
  readonly address: IPAddress;
  readonly asn: number;
  readonly port: number;
  readonly password?: string;
}

/** The flags computePeers needs (RouterConfig has them all). */
export interface PeeringSettings {
  readonly clusterAsn: number;
  readonly routerId: RouterIdSetting;
  readonly bgpPort: number;
  readonly holdTimeSeconds: number;
  readonly gracefulRestart: GracefulRestartSpec;
  readonly nodesFullMesh: boolean;
  readonly enableIbgp: boolean;
  readonly externalPeers: readonly ExternalPeerSetting[];
  readonly peerMultihopTtl: number;
}

export interface PeersInput {
  readonly self: V1Node;
  /** Every node of the cluster (self may be among them). */
  readonly nodes: readonly V1Node[];
  readonly config: PeeringSettings;
  readonly families: EnabledFamilies;
}

/** A node not peered with, and why (for `kr peers` and debug logs; not an input error). */
export interface SkippedNode {
  readonly node: string;
  readonly reason: string;
}

export interface PeersResult {
  /** Undefined when the node has no address of an enabled family to run BGP on. */
  readonly global: BgpGlobal | undefined;
  /** Sorted by address. */
  readonly peers: readonly PeerSpec[];
  readonly skipped: readonly SkippedNode[];
  /** Bad input in this node's or other nodes' objects; the rest still applies. */
  readonly problems: readonly ObjectInputError[];
  /** What the local node's object says; policies and advertisements reuse it. */
  readonly self: NodeBgpView;
  readonly local: LocalBgpSettings;
}

export const DEFAULT_PEER_PORT = 179;

export function computePeers(input: PeersInput): PeersResult {
  const { config, families } = input;
  const selfName = input.self.metadata?.name ?? '';
  const self = nodeBgpView(input.self, families);
  const local = localBgpSettings(input.self, families);
  const problems: ObjectInputError[] = [...self.problems, ...local.problems];
  const skipped: SkippedNode[] = [];
  const session = self.bgpAddresses[0];
  if (!session) {
    const enabled = FAMILIES.filter((f) => families[f]).join(' or ');
    problems.push(objectInputError(input.self, 'status.addresses', `no ${enabled} address: BGP cannot run on this node`));
    return { global: undefined, peers: [], skipped, problems, self, local };
  }

  let asn = config.clusterAsn;
  if (!config.nodesFullMesh) {
    if (self.asn !== undefined) asn = self.asn;
    else if (!self.problems.some((p) => p.field.includes(NODE_ASN_ANNOTATION))) {
      problems.push(objectInputError(input.self, annotationField(NODE_ASN_ANNOTATION), `missing: --nodes-full-mesh=false needs the node's ASN; using --cluster-asn ${config.clusterAsn}`));
    }
  }

  const familyList = FAMILIES.filter((f) => families[f]);
  const gracefulRestart = config.gracefulRestart.enabled ? config.gracefulRestart : undefined;
  const timers = { holdTimeSeconds: config.holdTimeSeconds, keepaliveSeconds: Math.floor(config.holdTimeSeconds / 3) };
  const global: BgpGlobal = {
    asn,
    routerId: routerId(config.routerId, session, self),
    listenPort: config.bgpPort,
    listenAddresses: self.bgpAddresses.map((a) => a.address),
    ...(gracefulRestart ? { gracefulRestart } : {}),
  };

  const peers = new Map<string, PeerSpec>();
  const add = (peer: PeerSpec, onDuplicate: () => void) => {
    if (peers.has(peer.address.address)) onDuplicate();
    else peers.set(peer.address.address, peer);
  };

  if (config.enableIbgp) {
    const others = [...input.nodes].filter((n) => (n.metadata?.name ?? '') !== selfName).sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    for (const node of others) {
      const view = nodeBgpView(node, families);
      problems.push(...view.problems);
      const skip = (reason: string) => skipped.push({ node: view.name, reason });
      const rr = self.routeReflector;
      if (rr?.role === 'client' && view.routeReflector?.role !== 'server') {
        skip('this node is a route-reflector client and peers only with route-reflector servers');
        continue;
      }
      if (!config.nodesFullMesh) {
        if (view.asn === undefined) {
          skip(`its ASN is unknown (--nodes-full-mesh=false needs ${NODE_ASN_ANNOTATION})`);
          continue;
        }
        if (view.asn !== asn) {
          skip(`its ASN ${view.asn} differs from ours (${asn})`);
          continue;
        }
      }
      const address = view.bgpAddresses.find((a) => a.family === session.family);
      if (!address) {
        skip(`it has no ${session.family} BGP address to peer with from ${session.address}`);
        continue;
      }
      const reflecting = rr?.role === 'server' && view.routeReflector?.role === 'client';
      add(
        {
          address,
          asn,
          port: config.bgpPort,
          localAddress: session,
          families: familyList,
          ...timers,
          ...(reflecting ? { routeReflectorClient: { clusterId: rr.clusterId } } : {}),
          ...(gracefulRestart ? { gracefulRestart } : {}),
          source: reflecting || rr?.role === 'client' ? 'route-reflector' : 'node-mesh',
          node: view.name,
          description: `node ${view.name}`,
        },
        () => skip(`its address ${address.address} is already a peer`),
      );
    }
  }

  const localFor = (peer: IPAddress, explicit?: IPAddress) =>
    explicit ?? (session.family === peer.family ? session : self.bgpAddresses.find((a) => a.family === peer.family));
  const multihop = config.peerMultihopTtl > 1 ? { multihopTtl: config.peerMultihopTtl } : {};

  config.externalPeers.forEach((p, i) => {
    const localAddress = localFor(p.address);
    if (!localAddress) {
      problems.push(objectInputError(input.self, 'status.addresses', `no ${p.address.family} address to peer with --peer-router-ips ${p.address.address}; peer skipped`));
      return;
    }
    add(
      {
        address: p.address,
        asn: p.asn,
        port: p.port,
        localAddress,
        ...(p.password !== undefined ? { password: p.password } : {}),
        ...multihop,
        families: familyList,
        ...timers,
        ...(gracefulRestart ? { gracefulRestart } : {}),
        source: 'global',
        description: `--peer-router-ips item ${i + 1}`,
      },
      () => problems.push(objectInputError(input.self, 'status.addresses', `--peer-router-ips ${p.address.address} is the address of a cluster node; not peered twice`)),
    );
  });

  const peersKey = input.self.metadata?.annotations?.[PEERS_ANNOTATION] !== undefined ? PEERS_ANNOTATION : PEER_IPS_ANNOTATION;
  const peersField = annotationField(peersKey);
  if (local.peers.length > 0 && config.externalPeers.length > 0) {
    problems.push(objectInputError(input.self, peersField, 'ignored: --peer-router-ips is set and takes precedence (as in kube-router)'));
  } else {
    for (const p of local.peers) {
      const localAddress = localFor(p.address, p.localAddress);
      if (!localAddress) {
        problems.push(objectInputError(input.self, peersField, `item ${p.index}: no ${p.address.family} address to peer with ${p.address.address}; peer skipped`));
        continue;
      }
      add(
        {
          address: p.address,
          asn: p.asn,
          port: p.port ?? DEFAULT_PEER_PORT,
          localAddress,
          ...(p.password !== undefined ? { password: p.password } : {}),
          ...multihop,
          families: familyList,
          ...timers,
          ...(gracefulRestart ? { gracefulRestart } : {}),
          source: 'node-annotation',
          description: `${peersKey} item ${p.index}`,
        },
        () => problems.push(objectInputError(input.self, peersField, `item ${p.index}: ${p.address.address} is already a peer (a cluster node); not peered twice`)),
      );
    }
  }

  return { global, peers: [...peers.values()].sort((a, b) => compareIPs(a.address, b.address)), skipped, problems, self, local };
}

/**
 * The router id (32 bits, dotted quad):
 * - fixed: --router-id;
 * - generate: kube-router's scheme, FNV-1a (32 bit) of the session address's 16 bytes
 *   (IPv4 in its IPv4-mapped form, as Go's net.IP holds it);
 * - auto (empty flag): the session address when it is IPv4, else the node's first IPv4
 *   BGP address, else its first IPv4 node address, else generated as above. kube-router refuses to start on an IPv6-primary
 *   node without --router-id; a generated id is stable for the node's address.
 */
export function routerId(setting: RouterIdSetting, session: IPAddress, self: NodeBgpView): string {
  if (setting.kind === 'fixed') return setting.id;
  if (setting.kind === 'auto') {
    if (session.family === 'ipv4') return session.address;
    const ipv4 = self.bgpAddresses.find((a) => a.family === 'ipv4') ?? self.knownAddresses.find((a) => a.family === 'ipv4');
    if (ipv4) return ipv4.address;
  }
  return generatedRouterId(session);
}

export function generatedRouterId(address: IPAddress): string {
  const bytes = sixteenBytes(address);
  let hash = 0x811c9dc5;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // 0.0.0.0 is not a valid router id; the chance is 2^-32, the fix costs one line.
  if (hash === 0) hash = 1;
  return [24, 16, 8, 0].map((s) => (hash >>> s) & 0xff).join('.');
}

function sixteenBytes(address: IPAddress): number[] {
  const value = address.family === 'ipv4' ? (0xffffn << 32n) | address.value : address.value;
  const bytes: number[] = [];
  for (let shift = 120n; shift >= 0n; shift -= 8n) bytes.push(Number((value >> shift) & 0xffn));
  return bytes;
}
