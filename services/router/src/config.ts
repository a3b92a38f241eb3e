// The router's own flags, with kube-router's names and defaults, validated up front into
// a typed RouterConfig. A bad value is a ConfigError naming the flag (the binary exits 2).
//
// Where we differ from kube-router, and why:
// - --router-id may be left empty on an IPv6-primary node: we then use the node's first
//   IPv4 address, else derive one as `generate` does (kube-router refuses to start).
// - --gobgp-admin-address/--gobgp-admin-port say where the gobgpd sidecar's gRPC API is
//   (kube-router embedded GoBGP and served its API there); port 0 is refused, the router
//   cannot work without it.
// - --peer-router-ports and --peer-router-passwords keep blank items ("pw1,,pw3",
//   "179,,1790") aligned with --peer-router-ips, as pflag's CSV parsing does; they are
//   read as one comma-separated value, so a repeated flag replaces the earlier one.
// - --overlay-encap also accepts vxlan (ours); --overlay-encap-port is its UDP port too.
// - --excluded-cidrs is an IPVS-cleanup flag in kube-router. Here the router honours it
//   for routes: learned prefixes inside an excluded CIDR are never installed.
// - --disable-source-dest-check (AWS EC2 only) is accepted for manifest compatibility and
//   has no effect.
import { ConfigError, errorMessage } from '@kr/errors';
import type { FlagSpec, FlagValues } from '@kr/agent';
import { parseCIDR, parseIP, tryParseIP, type Cidr, type EnabledFamilies, type IPAddress } from '@kr/ip';
import { base64String } from '@kr/k8s';
import { serviceIpRanges, serviceRangeFlagSpecs, type ServiceIpRanges } from '@kr/services';
import type { GracefulRestartSpec } from './model/bgp-types.js';
import type { AdvertiseSettings } from './model/advertisements.js';
import type { ExternalPeerSetting, RouterIdSetting } from './model/peers.js';
import { OVERLAY_ENCAPS, type OverlayEncap, type OverlaySettings, type OverlayType } from './model/tunnels.js';
import { parsePeerAsn, parsePort, splitAligned } from './model/values.js';

export const DEFAULT_CLUSTER_ASN = 64512;
export const DEFAULT_BGP_PORT = 179;
/** kube-router's default UDP port for fou (and, here, vxlan). */
export const DEFAULT_OVERLAY_ENCAP_PORT = 5555;


const SECOND = 1000;
const positive = (ms: number) => (ms <= 0 ? 'must be greater than 0' : undefined);

export function routerFlagSpecs() {
  return [
    { name: 'cluster-asn', type: 'int', default: 0, min: 0, max: 4294967295, help: `ASN number under which cluster nodes will run iBGP (0 = ${DEFAULT_CLUSTER_ASN}; must be private: 64512-65535 or 4200000000-4294967294)`, check: checkClusterAsn },
    { name: 'router-id', type: 'string', default: '', help: 'BGP router-id (an IPv4 address), or "generate" for a stable one hashed from the node IP. Empty: the node\'s IPv4 address; on an IPv6-only node a generated one', check: checkRouterId },
    { name: 'bgp-port', type: 'int', default: DEFAULT_BGP_PORT, min: 1, max: 65535, help: 'The port open for incoming BGP connections and to use for connecting with other BGP peers' },
    { name: 'bgp-holdtime', type: 'duration', default: 90 * SECOND, help: 'BGP hold time declared to peers; must be in the range 3s to 18h12m15s', check: (ms: number) => (ms < 3 * SECOND || ms > 65535 * SECOND ? 'must be in the range 3s to 18h12m15s (the 16-bit hold time of RFC 4271)' : undefined) },
    { name: 'bgp-graceful-restart', type: 'bool', default: false, help: 'Enables the BGP Graceful Restart capability so that routes are preserved on unexpected restarts' },
    { name: 'bgp-graceful-restart-time', type: 'duration', default: 90 * SECOND, help: 'BGP Graceful restart time according to RFC4724 3, maximum 4095s' },
    { name: 'bgp-graceful-restart-deferral-time', type: 'duration', default: 360 * SECOND, help: 'BGP Graceful restart deferral time according to RFC4724 4.1, maximum 18h' },
    { name: 'nodes-full-mesh', type: 'bool', default: true, help: 'Each node in the cluster will setup BGP peering with rest of the nodes; false peers only nodes with the same kube-router.io/node.asn' },
    { name: 'enable-ibgp', type: 'bool', default: true, help: 'Enables peering with nodes with the same ASN, if disabled will only peer with external BGP peers' },
    { name: 'peer-router-ips', type: 'strings', default: [], help: 'The ip address of the external router to which all nodes will peer and advertise the cluster ip and pod cidrs' },
    { name: 'peer-router-asns', type: 'strings', default: [], help: 'ASN numbers of the BGP peers, one per --peer-router-ips' },
    { name: 'peer-router-ports', type: 'string', default: '', help: `The remote ports of the external BGP peers, none or one per --peer-router-ips; blank items use ${DEFAULT_BGP_PORT}` },
    { name: 'peer-router-passwords', type: 'string', default: '', help: 'Base64 passwords for the peers of --peer-router-ips, none or one per peer; blank items for peers without one ("cGFzcw==,,cGFzcw==")' },
    { name: 'peer-router-passwords-file', type: 'string', default: '', help: 'File with the passwords, in the format of --peer-router-passwords; --peer-router-passwords is preferred if both are set' },
    { name: 'peer-router-multihop-ttl', type: 'int', default: 0, min: 0, max: 255, help: 'Enable eBGP multihop supports -- sets multihop-ttl (relevant only if ttl >= 2)' },
    { name: 'advertise-pod-cidr', type: 'bool', default: true, help: "Advertise the node's pod CIDRs to external BGP peers (the nodes always exchange them)" },
    { name: 'advertise-cluster-ip', type: 'bool', default: false, help: 'Advertise service cluster IPs to external BGP peers' },
    { name: 'advertise-external-ip', type: 'bool', default: false, help: 'Advertise service external IPs to external BGP peers' },
    { name: 'advertise-loadbalancer-ip', type: 'bool', default: false, help: 'Advertise LoadBalancer IPs of service status (set by the LB provider) to external BGP peers' },
    { name: 'override-nexthop', type: 'bool', default: false, help: 'Override the next-hop in routes sent to external peers with the local session address (never for pod CIDRs between nodes)' },
    { name: 'enable-overlay', type: 'bool', default: true, help: 'Tunnel pod-to-pod traffic to nodes in other subnets; false expects the network to route pod CIDRs' },
    { name: 'overlay-type', type: 'string', default: 'subnet', help: 'subnet: tunnel only to nodes in other subnets; full: tunnel to every node', check: (v: string) => (v === 'subnet' || v === 'full' ? undefined : 'must be subnet or full') },
    { name: 'overlay-encap', type: 'string', default: 'ipip', help: 'Overlay tunnel encapsulation: ipip, fou (GUE, port from --overlay-encap-port) or vxlan', check: (v: string) => ((OVERLAY_ENCAPS as readonly string[]).includes(v) ? undefined : `must be one of ${OVERLAY_ENCAPS.join(', ')}`) },
    { name: 'overlay-encap-port', type: 'int', default: DEFAULT_OVERLAY_ENCAP_PORT, min: 1024, max: 65535, help: 'UDP port of fou and vxlan tunnels' },
    { name: 'routes-sync-period', type: 'duration', default: 300 * SECOND, help: 'The delay between route updates and advertisements (full resync of peers, paths and policies)', check: positive },
    { name: 'injected-routes-sync-period', type: 'duration', default: 60 * SECOND, help: 'The delay between route table synchronizations (repairs drift of installed routes and tunnels)', check: positive },
    { name: 'excluded-cidrs', type: 'strings', default: [], help: 'Learned routes inside these CIDRs are never installed in the kernel' },
    { name: 'enable-pod-egress', type: 'bool', default: true, help: 'SNAT traffic from Pods to destinations outside the cluster' },
    { name: 'gobgp-admin-address', type: 'string', default: '127.0.0.1', help: 'Address of the gobgpd sidecar gRPC API (empty = 127.0.0.1)' },
    { name: 'gobgp-admin-port', type: 'int', default: 50051, min: 1, max: 65535, help: 'Port of the gobgpd sidecar gRPC API' },
    { name: 'disable-source-dest-check', type: 'bool', default: true, help: 'Accepted for compatibility with kube-router manifests (AWS EC2 only there); no effect' },
    ...serviceRangeFlagSpecs(),
  ] as const satisfies readonly FlagSpec[];
}

export type RouterFlagValues = FlagValues<ReturnType<typeof routerFlagSpecs>>;


export interface RouterConfig {
  readonly clusterAsn: number;
  readonly routerId: RouterIdSetting;
  readonly bgpPort: number;
  readonly holdTimeSeconds: number;
  readonly gracefulRestart: GracefulRestartSpec;
  readonly nodesFullMesh: boolean;
  readonly enableIbgp: boolean;
  readonly externalPeers: readonly ExternalPeerSetting[];
  /** eBGP multihop TTL for external peers; 0 or 1 = directly connected. */
  readonly peerMultihopTtl: number;
  readonly advertise: AdvertiseSettings;
  readonly overrideNextHop: boolean;
  readonly overlay: OverlaySettings;
  readonly routesSyncPeriodMs: number;
  readonly injectedRoutesSyncPeriodMs: number;
  readonly excludedCidrs: readonly Cidr[];
  readonly enablePodEgress: boolean;
  /** Where the gobgpd sidecar's gRPC API listens. */
  readonly gobgp: { readonly host: string; readonly port: number };
  readonly serviceRanges: ServiceIpRanges;
}

export interface RouterConfigEnv {
  readonly families: EnabledFamilies;
  /** Reads --peer-router-passwords-file (the one piece of I/O, injected to keep this pure). */
  readonly readFile: (path: string) => string;
}

export function routerConfig(v: RouterFlagValues, env: RouterConfigEnv): RouterConfig {
  const { families } = env;
  const gracefulRestart: GracefulRestartSpec = {
    enabled: v['bgp-graceful-restart'],
    restartTimeSeconds: Math.floor(v['bgp-graceful-restart-time'] / SECOND),
    deferralTimeSeconds: Math.floor(v['bgp-graceful-restart-deferral-time'] / SECOND),
  };
  if (gracefulRestart.enabled) {
    // As kube-router: checked only when graceful restart is on (the defaults are valid).
    if (gracefulRestart.restartTimeSeconds < 1 || gracefulRestart.restartTimeSeconds > 4095) {
      throw new ConfigError('--bgp-graceful-restart-time', 'must be in the range 1s to 4095s (a 12-bit field, RFC 4724)');
    }
    if (gracefulRestart.deferralTimeSeconds < 1 || gracefulRestart.deferralTimeSeconds > 18 * 3600) {
      throw new ConfigError('--bgp-graceful-restart-deferral-time', 'must be in the range 1s to 18h');
    }
  }
  const routerId: RouterIdSetting =
    v['router-id'] === '' ? { kind: 'auto' } : v['router-id'] === 'generate' ? { kind: 'generate' } : { kind: 'fixed', id: parseIP(v['router-id']).address };

  return {
    clusterAsn: v['cluster-asn'] === 0 ? DEFAULT_CLUSTER_ASN : v['cluster-asn'],
    routerId,
    bgpPort: v['bgp-port'],
    holdTimeSeconds: Math.floor(v['bgp-holdtime'] / SECOND),
    gracefulRestart,
    nodesFullMesh: v['nodes-full-mesh'],
    enableIbgp: v['enable-ibgp'],
    externalPeers: externalPeers(v, env),
    peerMultihopTtl: v['peer-router-multihop-ttl'],
    advertise: {
      podCidr: v['advertise-pod-cidr'],
      clusterIp: v['advertise-cluster-ip'],
      externalIp: v['advertise-external-ip'],
      loadBalancerIp: v['advertise-loadbalancer-ip'],
    },
    overrideNextHop: v['override-nexthop'],
    overlay: {
      enabled: v['enable-overlay'],
      type: v['overlay-type'] as OverlayType,
      encap: v['overlay-encap'] as OverlayEncap,
      port: v['overlay-encap-port'],
    },
    routesSyncPeriodMs: v['routes-sync-period'],
    injectedRoutesSyncPeriodMs: v['injected-routes-sync-period'],
    excludedCidrs: v['excluded-cidrs'].map((item) => {
      try {
        return parseCIDR(item);
      } catch (err) {
        throw new ConfigError('--excluded-cidrs', errorMessage(err), { cause: err });
      }
    }),
    enablePodEgress: v['enable-pod-egress'],
    gobgp: { host: v['gobgp-admin-address'].trim() || '127.0.0.1', port: v['gobgp-admin-port'] },
    serviceRanges: serviceIpRanges(v, families),
  };
}

function checkClusterAsn(asn: number): string | undefined {
  if (asn === 0) return undefined;
  const privateAsn = (asn >= 64512 && asn <= 65535) || (asn >= 4200000000 && asn <= 4294967294);
  return privateAsn ? undefined : `${asn} is not a private ASN (64512-65535 or 4200000000-4294967294)`;
}

function checkRouterId(value: string): string | undefined {
  if (value === '' || value === 'generate') return undefined;
  const ip = tryParseIP(value);
  if (!ip || ip.family !== 'ipv4') return `${JSON.stringify(value)} is not an IPv4 address (a router id is 32 bits) or "generate"`;
  if (ip.value === 0n) return '0.0.0.0 is not a valid router id';
  return undefined;
}

function externalPeers(v: RouterFlagValues, env: RouterConfigEnv): ExternalPeerSetting[] {
  const ips = v['peer-router-ips'];
  const asns = v['peer-router-asns'];
  const addresses = ips.map((item) => {
    let ip: IPAddress;
    try {
      ip = parseIP(item);
    } catch (err) {
      throw new ConfigError('--peer-router-ips', errorMessage(err), { cause: err });
    }
    if (!env.families[ip.family]) throw new ConfigError('--peer-router-ips', `${ip.address} is ${ip.family}, which is not enabled (--enable-${ip.family})`);
    return ip;
  });
  if (asns.length !== ips.length) {
    throw new ConfigError('--peer-router-asns', `${asns.length} ASNs for ${ips.length} --peer-router-ips; the number of IPs and ASN numbers must be equal`);
  }
  const ports = splitAligned(v['peer-router-ports']);
  if (ports.length !== 0 && ports.length !== ips.length) {
    throw new ConfigError('--peer-router-ports', `${ports.length} ports for ${ips.length} --peer-router-ips; give none or one per peer (blank items use ${DEFAULT_BGP_PORT})`);
  }
  const passwords = peerPasswords(v, env);
  if (passwords.items.length !== 0 && passwords.items.length !== ips.length) {
    throw new ConfigError(passwords.flag, `${passwords.items.length} passwords for ${ips.length} --peer-router-ips; give none or one per peer (blank items for peers without one)`);
  }
  const seen = new Set<string>();
  return addresses.map((address, i) => {
    if (seen.has(address.address)) throw new ConfigError('--peer-router-ips', `${address.address} is listed twice`);
    seen.add(address.address);
    const asn = parsePeerAsn(asns[i] as string);
    if (typeof asn === 'string') throw new ConfigError('--peer-router-asns', `item ${i + 1}: ${asn}`);
    const port = parsePort(ports[i] ?? '') ?? DEFAULT_BGP_PORT;
    if (typeof port === 'string') throw new ConfigError('--peer-router-ports', `item ${i + 1}: ${port}`);
    const passwordText = passwords.items[i] ?? '';
    let password: string | undefined;
    if (passwordText !== '') {
      try {
        password = base64String(passwordText);
      } catch (err) {
        throw new ConfigError(passwords.flag, `item ${i + 1}: ${errorMessage(err)}`, { cause: err });
      }
    }
    return { address, asn, port, ...(password !== undefined ? { password } : {}) };
  });
}

function peerPasswords(v: RouterFlagValues, env: RouterConfigEnv): { flag: string; items: string[] } {
  if (v['peer-router-passwords'].trim() !== '') return { flag: '--peer-router-passwords', items: splitAligned(v['peer-router-passwords']) };
  const file = v['peer-router-passwords-file'];
  if (file === '') return { flag: '--peer-router-passwords', items: [] };
  let content: string;
  try {
    content = env.readFile(file);
  } catch (err) {
    throw new ConfigError('--peer-router-passwords-file', `cannot read ${file}: ${errorMessage(err)}`, { cause: err });
  }
  return { flag: '--peer-router-passwords-file', items: splitAligned(content) };
}
