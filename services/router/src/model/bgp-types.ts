// The router's BGP vocabulary, independent of GoBGP's wire types: what the pure model
// computes (desired state) and what the GoBGP adapter lists back (observed state), so the
// plan layer can diff the two. The adapter (dataplane/gobgp) is the only code that maps
// these to and from GoBGP's protobuf API.
import type { Cidr, Family, IPAddress } from '@kr/ip';

/** Where a peer comes from; decides which flags/annotations own it. */
export type PeerSource = 'node-mesh' | 'global' | 'node-annotation' | 'route-reflector';

/** The BGP server itself (GoBGP's StartBgp). */
export interface BgpGlobal {
  readonly asn: number;
  /** A dotted-quad router id (32 bits, also on IPv6-only nodes). */
  readonly routerId: string;
  /** Port to listen on; -1 = do not listen (GoBGP's convention). */
  readonly listenPort: number;
  /** Addresses to listen on (the node's BGP local addresses). */
  readonly listenAddresses: readonly string[];
  readonly gracefulRestart?: GracefulRestartSpec;
}

export interface GracefulRestartSpec {
  readonly enabled: boolean;
  /** Restart time advertised to peers (s). */
  readonly restartTimeSeconds: number;
  /** How long to wait for End-of-RIB from peers after a restart (s). */
  readonly deferralTimeSeconds: number;
}

/** One BGP neighbour: a single session carries every family in `families` (MP-BGP). */
export interface PeerSpec {
  /** The neighbour's address (the session's transport family follows it). */
  readonly address: IPAddress;
  readonly asn: number;
  /** Port of the neighbour (default 179). */
  readonly port: number;
  /** Source address of the session; undefined lets the kernel choose. */
  readonly localAddress?: IPAddress;
  /** TCP MD5 password (clear text, decoded from base64 by the model). */
  readonly password?: string;
  /** eBGP multihop TTL; undefined = directly connected. */
  readonly multihopTtl?: number;
  readonly families: readonly Family[];
  readonly holdTimeSeconds: number;
  readonly keepaliveSeconds: number;
  /**
   * Seconds between connection attempts while the session is down (GoBGP waits n to 2n,
   * at least 5; the first attempt always comes 5–9 s after the peer is added);
   * undefined = GoBGP's default, 120 s.
   */
  readonly connectRetrySeconds?: number;
  /** This node is a route reflector and the neighbour its client. */
  readonly routeReflectorClient?: { readonly clusterId: string };
  readonly gracefulRestart?: GracefulRestartSpec;
  readonly source: PeerSource;
  /** Name of the node the peer is, for the node mesh and route reflectors. */
  readonly node?: string;
  /** Free text for logs and `kr peers`. */
  readonly description?: string;
}

export type BgpSessionState = 'idle' | 'connect' | 'active' | 'opensent' | 'openconfirm' | 'established' | 'unknown';

/** A peer as GoBGP reports it. */
export interface ObservedPeer {
  readonly spec: PeerSpec;
  readonly state: BgpSessionState;
  readonly families: readonly Family[];
  readonly received: number;
  readonly accepted: number;
  readonly advertised: number;
  readonly uptime?: Date;
}

export type RouteKind = 'pod-cidr' | 'cluster-ip' | 'external-ip' | 'loadbalancer-ip';

/** A prefix this node originates, with a next hop of the prefix's own family. */
export interface PathSpec {
  readonly prefix: Cidr;
  readonly nextHop: IPAddress;
  readonly kind: RouteKind;
  readonly communities?: readonly string[];
  /** AS-path prepend: our ASN repeated n times (kube-router.io/path-prepend.*). */
  readonly asPathPrepend?: { readonly asn: number; readonly repeat: number };
  /** namespace/name for service VIPs. */
  readonly service?: string;
}

/** A best path GoBGP learned (from a peer) or holds (local). */
export interface ObservedPath {
  readonly prefix: Cidr;
  readonly nextHop: IPAddress;
  /** Address of the peer it came from; undefined for local paths. */
  readonly peer?: IPAddress;
  readonly asPath: readonly number[];
  readonly communities: readonly string[];
  readonly withdrawal: boolean;
  readonly best: boolean;
  readonly local: boolean;
  /** Adj-RIB-In only: the global import policy rejects this path. */
  readonly filtered?: boolean;
}

/** GoBGP defined sets (named match lists) that the policies reference. */
export type DefinedSetSpec =
  | { readonly kind: 'prefix'; readonly name: string; readonly prefixes: readonly { readonly cidr: Cidr; readonly maskLengthMin: number; readonly maskLengthMax: number }[] }
  | { readonly kind: 'neighbor'; readonly name: string; readonly neighbors: readonly Cidr[] }
  | { readonly kind: 'community'; readonly name: string; readonly communities: readonly string[] };

export interface PolicyStatementSpec {
  readonly name: string;
  readonly conditions: {
    readonly prefixSet?: { readonly name: string; readonly match: 'any' | 'invert' };
    readonly neighborSet?: { readonly name: string; readonly match: 'any' | 'invert' };
    /** Only routes learned over iBGP ('internal') or eBGP ('external'). */
    readonly routeType?: 'internal' | 'external' | 'local';
  };
  readonly actions: {
    readonly result: 'accept' | 'reject' | 'none';
    readonly addCommunities?: readonly string[];
    readonly asPathPrepend?: { readonly asn: number; readonly repeat: number };
    /** 'self': rewrite the next hop to the session's local address (--override-nexthop). */
    readonly nextHop?: 'self';
  };
}

export interface PolicySpec {
  readonly name: string;
  readonly statements: readonly PolicyStatementSpec[];
}

/** Which policies run on the global RIB's import or export, in order. */
export interface PolicyAssignmentSpec {
  readonly direction: 'import' | 'export';
  readonly policies: readonly string[];
  readonly defaultAction: 'accept' | 'reject';
}
