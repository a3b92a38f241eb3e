// `ip -j -d link show` objects for our tunnel kinds, as iproute2 6.1 prints them.
// The vxlan ones were captured from this kernel (inside a throwaway namespace). This
// kernel has no ipip, ip6_tunnel or fou, so those are written from iproute2's print code
// (ip/link_iptnl.c iptunnel_print_opt, ip/link_ip6tnl.c ip6tunnel_print_opt,
// ip/tunnel.c tnl_print_encap) for exactly the commands renderTunnelCreate emits.
//
// Test IP plan: this node 198.18.1.10 / 2001:db8:1::10, remote 198.18.2.10 / 2001:db8:2::10.
import type { IpLink } from '@kr/dataplane';

const common = {
  qdisc: 'noqueue',
  operstate: 'UNKNOWN',
  linkmode: 'DEFAULT',
  group: 'default',
  txqlen: 1000,
  promiscuity: 0,
  allmulti: 0,
  num_tx_queues: 1,
  num_rx_queues: 1,
  gso_max_size: 65536,
  gso_max_segs: 65535,
  tso_max_size: 65536,
  tso_max_segs: 65535,
  gro_max_size: 65536,
};

const vxlanData = {
  port_range: { low: 0, high: 0 },
  port: 4789,
  learning: false,
  ttl: 0,
  df: 'unset',
  ageing: 300,
  udp_csum: true,
  udp_zero_csum6_tx: false,
  udp_zero_csum6_rx: false,
};

/** Captured: `link add name tun-0a1b2c3d4e5 mtu 1450 address 02:aa:bb:cc:dd:01 type vxlan id 1234567 remote 198.18.2.10 local 198.18.1.10 dstport 4789 nolearning`, addrgenmode none, up. */
export const VXLAN4: IpLink = {
  ...common,
  ifindex: 2,
  ifname: 'tun-0a1b2c3d4e5',
  flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
  mtu: 1450,
  link_type: 'ether',
  address: '02:aa:bb:cc:dd:01',
  broadcast: 'ff:ff:ff:ff:ff:ff',
  min_mtu: 68,
  max_mtu: 65535,
  linkinfo: { info_kind: 'vxlan', info_data: { id: 1234567, remote: '198.18.2.10', local: '198.18.1.10', ...vxlanData } },
  inet6_addr_gen_mode: 'none',
};

/** Captured: the same over IPv6 (`id 7654321 remote 2001:db8:2::10 local 2001:db8:1::10`, mtu 1430). */
export const VXLAN6: IpLink = {
  ...common,
  ifindex: 3,
  ifname: 'tun-6a1b2c3d4e5',
  flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
  mtu: 1430,
  link_type: 'ether',
  address: '02:aa:bb:cc:dd:02',
  broadcast: 'ff:ff:ff:ff:ff:ff',
  min_mtu: 68,
  max_mtu: 65535,
  linkinfo: { info_kind: 'vxlan', info_data: { id: 7654321, remote6: '2001:db8:2::10', local6: '2001:db8:1::10', ...vxlanData } },
  inet6_addr_gen_mode: 'none',
};

const p2p = (local: string, remote: string) => ({
  flags: ['POINTOPOINT', 'NOARP', 'UP', 'LOWER_UP'],
  link: null,
  address: local,
  link_pointtopoint: true,
  broadcast: remote,
  inet6_addr_gen_mode: 'eui64',
});

/** Written: `link add name tun-c4 mtu 1480 type ipip mode ipip remote 198.18.2.10 local 198.18.1.10 ttl inherit nopmtudisc`, up. */
export const IPIP4: IpLink = {
  ...common,
  ...p2p('198.18.1.10', '198.18.2.10'),
  ifindex: 4,
  ifname: 'tun-c4',
  mtu: 1480,
  link_type: 'ipip',
  min_mtu: 0,
  max_mtu: 65515,
  linkinfo: { info_kind: 'ipip', info_data: { proto: 'ipip', remote: '198.18.2.10', local: '198.18.1.10', ttl: 0, pmtudisc: false } },
};

/** Written: `link add name tun-c6 mtu 1460 type ip6tnl mode any remote 2001:db8:2::10 local 2001:db8:1::10 hoplimit inherit encaplimit none`, up. */
export const IPIP6: IpLink = {
  ...common,
  ...p2p('2001:db8:1::10', '2001:db8:2::10'),
  ifindex: 5,
  ifname: 'tun-c6',
  mtu: 1460,
  link_type: 'tunnel6',
  min_mtu: 68,
  max_mtu: 65407,
  linkinfo: {
    info_kind: 'ip6tnl',
    info_data: { proto: 'any', remote: '2001:db8:2::10', local: '2001:db8:1::10', ttl: 0, ip6_tnl_f_ign_encap_limit: true, tclass: '0x00', flowlabel: '0x00000' },
  },
};

const gue = (csum6: boolean) => ({ type: 'gue', sport: 0, dport: 5555, csum: false, csum6, remcsum: false });

/** Written: `link add name tun-f4 mtu 1468 type ipip mode ipip remote 198.18.2.10 local 198.18.1.10 ttl 225 encap gue encap-sport auto encap-dport 5555`, up. */
export const FOU4: IpLink = {
  ...common,
  ...p2p('198.18.1.10', '198.18.2.10'),
  ifindex: 6,
  ifname: 'tun-f4',
  mtu: 1468,
  link_type: 'ipip',
  min_mtu: 0,
  max_mtu: 65503,
  linkinfo: { info_kind: 'ipip', info_data: { proto: 'ipip', remote: '198.18.2.10', local: '198.18.1.10', ttl: 225, pmtudisc: true, encap: gue(false) } },
};

/** Written: `link add name tun-f6 mtu 1448 type ip6tnl mode ip6ip6 remote 2001:db8:2::10 local 2001:db8:1::10 hoplimit 225 encaplimit none encap gue encap-sport auto encap-dport 5555`, up. */
export const FOU6: IpLink = {
  ...common,
  ...p2p('2001:db8:1::10', '2001:db8:2::10'),
  ifindex: 7,
  ifname: 'tun-f6',
  mtu: 1448,
  link_type: 'tunnel6',
  min_mtu: 68,
  max_mtu: 65395,
  linkinfo: {
    info_kind: 'ip6tnl',
    info_data: {
      proto: 'ip6ip6',
      remote: '2001:db8:2::10',
      local: '2001:db8:1::10',
      ttl: 225,
      ip6_tnl_f_ign_encap_limit: true,
      tclass: '0x00',
      flowlabel: '0x00000',
      encap: gue(true),
    },
  },
};

/** Links that are not ours: the ipip fallback device, and a `tun-` link of another kind. */
export const FOREIGN: IpLink[] = [
  { ...common, ...p2p('0.0.0.0', '0.0.0.0'), ifindex: 8, ifname: 'tunl0', flags: ['NOARP'], mtu: 1480, link_type: 'ipip', linkinfo: { info_kind: 'ipip', info_data: { proto: 'ipip', remote: 'any', local: 'any', ttl: 0, pmtudisc: false } } },
  { ...common, ifindex: 9, ifname: 'tun-dummy0', flags: ['BROADCAST', 'NOARP', 'UP', 'LOWER_UP'], mtu: 1500, link_type: 'ether', address: '02:00:00:00:00:09', linkinfo: { info_kind: 'dummy' } },
];
