// Does this kernel have what a tunnel type needs? Tests ask, and skip with the reason
// when not ("skipped: kernel lacks ipip"), never passing silently.
//
// ipip and ip6_tunnel are only probed when already loaded: loading either creates its
// fallback device (tunl0, ip6tnl0) in *every* namespace, the root one included, which a
// test must not change. vxlan and fou create no such device and are probed directly,
// in a throwaway namespace.
import { existsSync } from 'node:fs';
import { release } from 'node:os';
import { DataplaneError } from '@kr/errors';
import { IpExecutor } from '@kr/dataplane';
import { withNetns } from '@kr/dataplane/testing';
import type { Family } from '@kr/ip';
import type { TunnelEncap } from '../types.js';

/** `reason` is what a skipped test's name carries; `detail` says how it was found. */
export type Support = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly detail: string };

const MODULE: Record<Family, { name: string; module: string; fallback: string }> = {
  ipv4: { name: 'ipip', module: 'ipip', fallback: 'tunl0' },
  ipv6: { name: 'ip6tnl', module: 'ip6_tunnel', fallback: 'ip6tnl0' },
};

const PROBE: Record<TunnelEncap, Record<Family, string[]>> = {
  vxlan: {
    ipv4: ['link add name kr-probe type vxlan id 1 remote 192.0.2.1 local 192.0.2.2 dstport 4789'],
    ipv6: ['link add name kr-probe type vxlan id 1 remote 2001:db8::1 local 2001:db8::2 dstport 4789'],
  },
  ipip: {
    ipv4: ['link add name kr-probe type ipip mode ipip remote 192.0.2.1 local 192.0.2.2'],
    ipv6: ['link add name kr-probe type ip6tnl mode any remote 2001:db8::1 local 2001:db8::2'],
  },
  fou: {
    ipv4: ['fou add port 5555 gue', 'link add name kr-probe type ipip mode ipip remote 192.0.2.1 local 192.0.2.2 ttl 225 encap gue encap-sport auto encap-dport 5555'],
    ipv6: ['fou add port 5555 gue -6', 'link add name kr-probe type ip6tnl mode ip6ip6 remote 2001:db8::1 local 2001:db8::2 hoplimit 225 encap gue encap-sport auto encap-dport 5555'],
  },
};

const cache = new Map<string, Promise<Support>>();

export function tunnelSupport(encap: TunnelEncap, family: Family): Promise<Support> {
  const key = `${encap} ${family}`;
  let result = cache.get(key);
  if (!result) {
    result = probe(encap, family);
    cache.set(key, result);
  }
  return result;
}

async function probe(encap: TunnelEncap, family: Family): Promise<Support> {
  const lacks = (what: string, detail: string): Support => ({ ok: false, reason: `skipped: kernel lacks ${what}`, detail });
  if (encap !== 'vxlan') {
    const m = MODULE[family];
    if (!existsSync(`/sys/module/${m.module}`)) {
      const installed = existsSync(`/lib/modules/${release()}`);
      const why = installed ? 'a test does not load it, as that adds ' + m.fallback + ' to the root namespace' : `no modules are installed for kernel ${release()}`;
      return lacks(m.name, `module ${m.module} is not loaded; ${why}`);
    }
  }
  const lines = PROBE[encap][family];
  try {
    await withNetns(async (netns) => {
      await new IpExecutor({ netns }).batch(lines);
    });
    return { ok: true };
  } catch (err) {
    if (!(err instanceof DataplaneError)) throw err;
    const detail = `${err.failingLine?.text ?? lines.join('; ')}: ${err.stderr.trim().split('\n')[0]}`;
    if (encap !== 'fou') return lacks(encap === 'vxlan' ? 'vxlan' : MODULE[family].name, detail);
    // fou: the receive port (fou module) first, then a tunnel with GUE encapsulation.
    return lacks(err.failingLine?.number === 2 ? 'GUE encapsulation' : 'fou', detail);
  }
}
