// PeerSpec ↔ GoBGP's Peer. One session carries every family of the spec (MP-BGP), each
// as an AFI/SAFI config. GoBGP has no place for our bookkeeping (where a peer comes from,
// which node it is), so it rides in the peer's description, which GoBGP stores verbatim
// and shows in `gobgp neighbor <ip>`.
import { parseIP, tryParseIP, type Family } from '@kr/ip';
import { gobgp, gobgpCap } from '@kr/proto/gobgp';
import type { BgpGlobal, BgpSessionState, GracefulRestartSpec, ObservedPeer, PeerSource, PeerSpec } from '../../model/bgp-types.js';
import { unpackAny } from './any.js';
import { fromApiFamily, sortFamilies, toApiFamily } from './families.js';

/** GoBGP's default BGP port, used when a peer reports none. */
const BGP_PORT = 179;

const SOURCES: readonly PeerSource[] = ['node-mesh', 'global', 'node-annotation', 'route-reflector'];

// "kr|<source>|<node>|<free text>": node names (DNS subdomains) never contain '|'.
const DESCRIPTION_TAG = 'kr';

export function encodeDescription(spec: Pick<PeerSpec, 'source' | 'node' | 'description'>): string {
  return [DESCRIPTION_TAG, spec.source, spec.node ?? '', spec.description ?? ''].join('|');
}

/** Reverses encodeDescription; a peer someone else added is reported as 'global'. */
export function decodeDescription(text: string): Pick<PeerSpec, 'source' | 'node' | 'description'> {
  const parts = text.split('|');
  const source = parts[1] as PeerSource;
  if (parts[0] === DESCRIPTION_TAG && parts.length >= 4 && SOURCES.includes(source)) {
    const node = parts[2]!;
    const description = parts.slice(3).join('|');
    return { source, ...(node ? { node } : {}), ...(description ? { description } : {}) };
  }
  return { source: 'global', ...(text ? { description: text } : {}) };
}

function toApiGracefulRestart(gr: GracefulRestartSpec | undefined): gobgp.GracefulRestart | undefined {
  if (!gr?.enabled) return undefined;
  return gobgp.GracefulRestart.fromPartial({
    enabled: true,
    restartTime: gr.restartTimeSeconds,
    deferralTime: gr.deferralTimeSeconds,
    // As kube-router: the router (and so gobgpd) only starts after a restart, so it
    // always asks peers to keep its routes while it comes back.
    localRestarting: true,
  });
}

/** The AddPeer/UpdatePeer message for `spec`. */
export function toApiPeer(spec: PeerSpec): gobgp.Peer {
  const gracefulRestart = toApiGracefulRestart(spec.gracefulRestart);
  return gobgp.Peer.fromPartial({
    conf: {
      neighborAddress: spec.address.address,
      peerAsn: spec.asn,
      authPassword: spec.password ?? '',
      description: encodeDescription(spec),
    },
    transport: {
      localAddress: spec.localAddress?.address ?? '',
      remotePort: spec.port,
    },
    timers: {
      config: {
        holdTime: spec.holdTimeSeconds,
        keepaliveInterval: spec.keepaliveSeconds,
        connectRetry: spec.connectRetrySeconds ?? 0,
      },
    },
    ...(spec.multihopTtl !== undefined ? { ebgpMultihop: { enabled: true, multihopTtl: spec.multihopTtl } } : {}),
    ...(spec.routeReflectorClient
      ? { routeReflector: { routeReflectorClient: true, routeReflectorClusterId: spec.routeReflectorClient.clusterId } }
      : {}),
    ...(gracefulRestart ? { gracefulRestart } : {}),
    afiSafis: sortFamilies(spec.families).map((family) => ({
      config: { family: toApiFamily(family), enabled: true },
      ...(gracefulRestart ? { mpGracefulRestart: { config: { enabled: true } } } : {}),
    })),
  });
}

const SESSION_STATES: Partial<Record<gobgp.PeerState_SessionState, BgpSessionState>> = {
  [gobgp.PeerState_SessionState.UNKNOWN]: 'unknown',
  [gobgp.PeerState_SessionState.IDLE]: 'idle',
  [gobgp.PeerState_SessionState.CONNECT]: 'connect',
  [gobgp.PeerState_SessionState.ACTIVE]: 'active',
  [gobgp.PeerState_SessionState.OPENSENT]: 'opensent',
  [gobgp.PeerState_SessionState.OPENCONFIRM]: 'openconfirm',
  [gobgp.PeerState_SessionState.ESTABLISHED]: 'established',
};

/** Families the neighbour announced in its OPEN (multiprotocol capabilities). */
function remoteFamilies(state: gobgp.PeerState | undefined): Family[] {
  const families: Family[] = [];
  for (const cap of state?.remoteCap ?? []) {
    const mp = unpackAny(cap, 'MultiProtocolCapability', gobgpCap.MultiProtocolCapability);
    const family = mp && fromApiFamily(mp.family);
    if (family) families.push(family);
  }
  return families;
}

/** Decodes what ListPeer reports: the configuration back as a PeerSpec, plus the session. */
export function fromApiPeer(peer: gobgp.Peer): ObservedPeer {
  const conf = peer.conf;
  const address = parseIP(conf?.neighborAddress || peer.state?.neighborAddress || '');
  const configured = peer.afiSafis.filter((a) => a.config?.enabled);
  const families = sortFamilies(configured.map((a) => fromApiFamily(a.config?.family)).filter((f): f is Family => f !== undefined));
  const gr = peer.gracefulRestart;
  const timers = peer.timers?.config;
  const localAddress = tryParseIP(peer.transport?.localAddress ?? '');
  const spec: PeerSpec = {
    address,
    asn: conf?.peerAsn ?? 0,
    port: peer.transport?.remotePort || BGP_PORT,
    ...(localAddress && localAddress.value !== 0n ? { localAddress } : {}),
    ...(conf?.authPassword ? { password: conf.authPassword } : {}),
    ...(peer.ebgpMultihop?.enabled ? { multihopTtl: peer.ebgpMultihop.multihopTtl } : {}),
    families,
    holdTimeSeconds: timers?.holdTime ?? 0,
    keepaliveSeconds: timers?.keepaliveInterval ?? 0,
    ...(timers?.connectRetry ? { connectRetrySeconds: timers.connectRetry } : {}),
    ...(peer.routeReflector?.routeReflectorClient ? { routeReflectorClient: { clusterId: peer.routeReflector.routeReflectorClusterId } } : {}),
    ...(gr?.enabled ? { gracefulRestart: { enabled: true, restartTimeSeconds: gr.restartTime, deferralTimeSeconds: gr.deferralTime } } : {}),
    ...decodeDescription(conf?.description ?? ''),
  };
  const state = SESSION_STATES[peer.state?.sessionState ?? gobgp.PeerState_SessionState.UNKNOWN] ?? 'unknown';
  const counts = { received: 0, accepted: 0, advertised: 0 };
  for (const afiSafi of configured) {
    counts.received += afiSafi.state?.received ?? 0;
    counts.accepted += afiSafi.state?.accepted ?? 0;
    counts.advertised += afiSafi.state?.advertised ?? 0;
  }
  const remote = new Set(remoteFamilies(peer.state));
  const uptime = peer.timers?.state?.uptime;
  return {
    spec,
    state,
    // Negotiated: configured here and announced by the neighbour.
    families: state === 'established' ? families.filter((f) => remote.has(f)) : [],
    ...counts,
    ...(state === 'established' && uptime && uptime.getTime() > 0 ? { uptime } : {}),
  };
}

/**
 * The fields of `desired` that GoBGP holds differently in `observed` (empty: nothing to
 * do). Only what GoBGP stores is compared: a local address left to the kernel is not,
 * since GoBGP reports the one the session ended up with.
 */
export function peerSpecDiff(desired: PeerSpec, observed: PeerSpec): string[] {
  const diff: string[] = [];
  const check = (field: string, same: boolean) => {
    if (!same) diff.push(field);
  };
  check('address', desired.address.equals(observed.address));
  check('asn', desired.asn === observed.asn);
  check('port', desired.port === observed.port);
  if (desired.localAddress) check('localAddress', observed.localAddress !== undefined && desired.localAddress.equals(observed.localAddress));
  check('password', (desired.password ?? '') === (observed.password ?? ''));
  check('multihopTtl', desired.multihopTtl === observed.multihopTtl);
  const families = sortFamilies(desired.families);
  check('families', families.join() === sortFamilies(observed.families).join());
  check('holdTimeSeconds', desired.holdTimeSeconds === observed.holdTimeSeconds);
  check('keepaliveSeconds', desired.keepaliveSeconds === observed.keepaliveSeconds);
  // Left unset, GoBGP applies and reports its own default (120 s).
  if (desired.connectRetrySeconds !== undefined) check('connectRetrySeconds', desired.connectRetrySeconds === observed.connectRetrySeconds);
  check('routeReflectorClient', desired.routeReflectorClient?.clusterId === observed.routeReflectorClient?.clusterId);
  const gr = (g: GracefulRestartSpec | undefined) => (g?.enabled ? `${g.restartTimeSeconds}/${g.deferralTimeSeconds}` : '');
  check('gracefulRestart', gr(desired.gracefulRestart) === gr(observed.gracefulRestart));
  check('source', desired.source === observed.source);
  check('node', (desired.node ?? '') === (observed.node ?? ''));
  check('description', (desired.description ?? '') === (observed.description ?? ''));
  return diff;
}

export function peerSpecEquals(desired: PeerSpec, observed: PeerSpec): boolean {
  return peerSpecDiff(desired, observed).length === 0;
}

/** The identity of a peer in GoBGP: its neighbour address. */
export function peerKey(peer: { readonly address: { readonly address: string } }): string {
  return peer.address.address;
}

export function toApiGlobal(global: BgpGlobal): gobgp.Global {
  return gobgp.Global.fromPartial({
    asn: global.asn,
    routerId: global.routerId,
    listenPort: global.listenPort,
    listenAddresses: [...global.listenAddresses],
    ...(global.gracefulRestart?.enabled
      ? {
          gracefulRestart: {
            enabled: true,
            restartTime: global.gracefulRestart.restartTimeSeconds,
            deferralTime: global.gracefulRestart.deferralTimeSeconds,
          },
        }
      : {}),
  });
}

/** GetBgp's answer; undefined while BGP is not started (GoBGP then reports ASN 0). */
export function fromApiGlobal(global: gobgp.Global | undefined): BgpGlobal | undefined {
  if (!global || global.asn === 0) return undefined;
  return {
    asn: global.asn,
    routerId: global.routerId,
    listenPort: global.listenPort,
    listenAddresses: global.listenAddresses,
  };
}

/**
 * Whether the running BGP server matches `desired`. GetBgp does not report graceful
 * restart, so it is not compared; a change there needs StopBgp/StartBgp anyway.
 */
export function bgpGlobalEquals(desired: BgpGlobal, observed: BgpGlobal): boolean {
  const addresses = (list: readonly string[]) => list.map((a) => tryParseIP(a)?.address ?? a).sort().join();
  return (
    desired.asn === observed.asn &&
    desired.routerId === observed.routerId &&
    desired.listenPort === observed.listenPort &&
    addresses(desired.listenAddresses) === addresses(observed.listenAddresses)
  );
}
