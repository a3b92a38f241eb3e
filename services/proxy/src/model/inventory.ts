// What the proxy will turn into a dataplane: services and their endpoints, counted per
// family. Pure. The VIP table and the nftables dataplane arrive with the proxy issue.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';

export interface ServiceInventory {
  /** Services that get a dataplane: not headless, not ExternalName. */
  readonly services: number;
  /** Ready endpoint addresses over all slices of enabled families. */
  readonly readyEndpoints: number;
}

export function computeServiceInventory(
  services: readonly V1Service[],
  slices: readonly V1EndpointSlice[],
  families: { readonly ipv4: boolean; readonly ipv6: boolean },
): ServiceInventory {
  const proxied = services.filter(
    (s) => s.spec?.type !== 'ExternalName' && s.spec?.clusterIP !== 'None' && !!s.spec?.clusterIP,
  );
  let ready = 0;
  for (const slice of slices) {
    const family = slice.addressType === 'IPv4' ? 'ipv4' : slice.addressType === 'IPv6' ? 'ipv6' : undefined;
    if (!family || !families[family]) continue;
    for (const ep of slice.endpoints ?? []) {
      // Kubernetes: a nil `ready` condition means ready.
      if (ep.conditions?.ready !== false) ready += ep.addresses.length;
    }
  }
  return { services: proxied.length, readyEndpoints: ready };
}
