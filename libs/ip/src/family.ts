/** An IP address family. Kubernetes spells them IPv4/IPv6; we use lower case everywhere. */
export type Family = 'ipv4' | 'ipv6';

/** Both families, in the default order (IPv4 first, as Kubernetes lists them). */
export const FAMILIES: readonly Family[] = ['ipv4', 'ipv6'];

/** Which families a node runs (the --enable-ipv4 / --enable-ipv6 flags). */
export interface EnabledFamilies {
  readonly ipv4: boolean;
  readonly ipv6: boolean;
}

/** Bits in an address of the family: the prefix length of a host route. */
export function hostPrefixLength(family: Family): 32 | 128 {
  return family === 'ipv4' ? 32 : 128;
}

export function otherFamily(family: Family): Family {
  return family === 'ipv4' ? 'ipv6' : 'ipv4';
}

/** Kubernetes' spelling (`IPv4`/`IPv6`, as in Service.spec.ipFamilies). */
export function kubernetesFamilyName(family: Family): 'IPv4' | 'IPv6' {
  return family === 'ipv4' ? 'IPv4' : 'IPv6';
}

/** Reads Kubernetes' spelling; undefined for anything else. */
export function familyFromKubernetes(name: string): Family | undefined {
  if (name === 'IPv4') return 'ipv4';
  if (name === 'IPv6') return 'ipv6';
  return undefined;
}
