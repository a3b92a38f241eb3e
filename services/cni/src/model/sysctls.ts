// Kernel settings pods need, per enabled family. Keys use the slash form so interface
// names with dots (VLANs: eth0.100) stay one path component.
import type { EnabledFamilies } from '@kr/ip';
import { BRIDGE_NAME } from './conflist.js';

export interface SysctlSetting {
  readonly key: string;
  readonly value: string;
  /** Why pods need it (logged when it is changed). */
  readonly why: string;
  /**
   * May be missing from this kernel or namespace: skipped with a warning rather than
   * failing the sync.
   */
  readonly optional?: boolean;
}

/** The uplink's current accept_ra, read before planning (see below). */
export interface SysctlObservations {
  readonly ipv6Uplink?: { readonly name: string; readonly acceptRa: string };
}

export function acceptRaKey(ifname: string): string {
  return `net/ipv6/conf/${ifname}/accept_ra`;
}

/**
 * Host-wide (per network namespace) settings, in the order they must be applied.
 *
 * accept_ra: with forwarding on, the kernel treats the host as a router and ignores
 * router advertisements on interfaces whose accept_ra is 1 (the default). A node that
 * learned its IPv6 default route or address from RAs would lose them when they expire.
 * accept_ra=2 keeps RAs processed with forwarding on; it is set first, before
 * forwarding, so there is no window without it. An interface set to 0 was configured
 * not to use RAs and is left alone.
 *
 * bridge-nf-call-ip(6)tables: traffic between two pods on the same bridge is bridged,
 * not routed, and skips iptables/nftables hooks unless br_netfilter hands it over; the
 * firewall's pod policies and the proxy's hairpin need it. The keys exist only while
 * the br_netfilter module is loaded (per network namespace since Linux 5.3). Loading a
 * module acts on the whole host, which is not ours to do, so they are optional.
 */
export function desiredSysctls(families: EnabledFamilies, observed: SysctlObservations): SysctlSetting[] {
  const out: SysctlSetting[] = [];
  if (families.ipv6 && observed.ipv6Uplink?.acceptRa === '1') {
    out.push({
      key: acceptRaKey(observed.ipv6Uplink.name),
      value: '2',
      why: 'keep accepting IPv6 router advertisements on the uplink once forwarding is on',
    });
  }
  if (families.ipv4) out.push({ key: 'net/ipv4/ip_forward', value: '1', why: 'route IPv4 pod traffic' });
  if (families.ipv6) out.push({ key: 'net/ipv6/conf/all/forwarding', value: '1', why: 'route IPv6 pod traffic' });
  if (families.ipv4) {
    out.push({ key: 'net/bridge/bridge-nf-call-iptables', value: '1', why: 'IPv4 traffic between pods on the bridge passes netfilter', optional: true });
  }
  if (families.ipv6) {
    out.push({ key: 'net/bridge/bridge-nf-call-ip6tables', value: '1', why: 'IPv6 traffic between pods on the bridge passes netfilter', optional: true });
  }
  return out;
}

/**
 * Settings of the bridge itself, once it exists. An IPv6 gateway address cannot be added
 * while IPv6 is disabled on the link (a host booted with default.disable_ipv6=1 creates
 * new links that way).
 */
export function bridgeSysctls(families: EnabledFamilies): SysctlSetting[] {
  return families.ipv6 ? [{ key: `net/ipv6/conf/${BRIDGE_NAME}/disable_ipv6`, value: '0', why: 'the bridge carries the IPv6 gateway address' }] : [];
}
