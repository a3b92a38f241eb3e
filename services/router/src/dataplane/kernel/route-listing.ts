// Reads `ip -j route show` objects into ObservedRoute. ip prints a host route without its
// prefix length ("10.0.0.1"), the default route as "default", omits `metric` when it is
// 0 (IPv4), omits `type` for unicast and `protocol` when the listing filtered on it.
import { hostCidr, parseCIDR, parseIP, tryParseIP, type Family, type IPAddress } from '@kr/ip';
import type { IpRoute } from '@kr/dataplane';
import type { ObservedRoute } from './types.js';

function prefixOf(dst: string, family: Family) {
  if (dst === 'default') return parseCIDR(family === 'ipv4' ? '0.0.0.0/0' : '::/0');
  return dst.includes('/') ? parseCIDR(dst) : hostCidr(parseIP(dst));
}

/** The gateway: `gateway` of the route's family, or `via {family, host}` (RFC 5549). */
function gatewayOf(route: IpRoute): IPAddress | undefined {
  if (typeof route.gateway === 'string') return tryParseIP(route.gateway);
  const via = route['via'] as { host?: unknown } | undefined;
  return typeof via?.host === 'string' ? tryParseIP(via.host) : undefined;
}

export function parseRouteListing(routes: readonly IpRoute[], family: Family): ObservedRoute[] {
  return routes.map((route) => {
    const flags = (route['flags'] ?? []) as readonly string[];
    const via = gatewayOf(route);
    const source = typeof route['prefsrc'] === 'string' ? tryParseIP(route['prefsrc']) : undefined;
    const type = route.type === undefined || route.type === 'unicast' ? undefined : route.type;
    return {
      prefix: prefixOf(route.dst, family),
      family,
      ...(type !== undefined ? { type } : {}),
      ...(via ? { via } : {}),
      ...(route.dev !== undefined ? { dev: route.dev } : {}),
      onlink: flags.includes('onlink'),
      ...(source ? { source } : {}),
      metric: route.metric ?? 0,
      multipath: Array.isArray(route['nexthops']),
      ...(route.protocol !== undefined ? { protocol: route.protocol } : {}),
    };
  });
}
