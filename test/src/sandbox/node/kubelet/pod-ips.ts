// Pod IPs from a CNI result, in the cluster's family order. A runtime reports whatever
// the plugins returned, in their order; Kubernetes wants status.podIPs to start with the
// cluster's primary family and to hold at most one address per family. Pure.
import { isIPv4, isIPv6 } from 'node:net';
import type { SandboxFamily } from '../cluster-config.js';
import type { CniResult } from './cni-runtime.js';

export interface PodIPs {
  /** One per family, in the cluster's order. */
  readonly ips: readonly string[];
  /** Addresses left out: of a family the cluster does not have, or a second one of a family. */
  readonly dropped: readonly string[];
}

function familyOf(ip: string): SandboxFamily | undefined {
  if (isIPv4(ip)) return 'ipv4';
  if (isIPv6(ip)) return 'ipv6';
  return undefined;
}

/** The pod's own addresses: those on an interface inside the pod's namespace. */
function resultAddresses(result: CniResult): string[] {
  if (result.ips) {
    const interfaces = result.interfaces ?? [];
    return result.ips
      .filter((ip) => ip.interface === undefined || interfaces[ip.interface]?.sandbox !== undefined)
      .map((ip) => ip.address.split('/')[0]!);
  }
  // CNI 0.1/0.2 results.
  return [result.ip4?.ip, result.ip6?.ip].filter((a): a is string => a !== undefined).map((a) => a.split('/')[0]!);
}

export function podIPsFromResult(result: CniResult, families: readonly SandboxFamily[]): PodIPs {
  const addresses = resultAddresses(result);
  const ips: string[] = [];
  for (const family of families) {
    const ip = addresses.find((a) => familyOf(a) === family);
    if (ip !== undefined) ips.push(ip);
  }
  return { ips, dropped: addresses.filter((a) => !ips.includes(a)) };
}
