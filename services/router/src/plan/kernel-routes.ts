// Our routes in the main table: desired vs observed → one `ip -batch` of exactly the
// differences. Pure. Only routes of protocol ROUTE_PROTOCOL are ever deleted or
// replaced; a foreign route (any other protocol) is never touched, even where it sits on
// a prefix we want (that is reported as a conflict instead, because `ip route replace`
// would silently overwrite it: the kernel matches replace on prefix and metric, not on
// protocol).
import { AddressError } from '@kr/errors';
import { compareCIDRs, type Family } from '@kr/ip';
import { ROUTE_PROTOCOL, isValidLinkName } from '../dataplane/kernel/names.js';
import type { KernelRoute, ObservedRoute } from '../dataplane/kernel/types.js';

/** The metric `ip route replace` gives a route without one: what ours carry. */
export function defaultRouteMetric(family: Family): number {
  return family === 'ipv4' ? 0 : 1024;
}

export interface RouteConflict {
  readonly route: KernelRoute;
  /** The route of another protocol that holds the prefix. */
  readonly foreign: ObservedRoute;
}

export interface RoutePlan {
  /** `ip -batch` lines (removals first, then replacements); empty when in sync. */
  readonly lines: readonly string[];
  readonly added: readonly KernelRoute[];
  readonly updated: readonly KernelRoute[];
  readonly removed: readonly ObservedRoute[];
  /** Routes of ours at prefixes no longer desired, left in place (keepUnwanted). */
  readonly kept: readonly ObservedRoute[];
  readonly unchanged: number;
  /** Desired routes left out because a foreign route holds their prefix. */
  readonly conflicts: readonly RouteConflict[];
  /**
   * Some desired route has no route of ours at its prefix, and `foreign` was not given:
   * a foreign route could be there. The caller lists the whole main table and plans
   * again with it (only then: a sync in steady state lists only our routes).
   */
  readonly needsForeignCheck: boolean;
}

const key = (family: Family, prefix: { toString(): string }) => `${family} ${prefix.toString()}`;

/** Throws AddressError for routes that cannot be rendered correctly. */
function validate(routes: readonly KernelRoute[]): void {
  const seen = new Set<string>();
  for (const route of routes) {
    const name = route.prefix.toString();
    if (route.family !== route.prefix.family) throw new AddressError(name, `route family ${route.family} does not match the prefix`);
    for (const [what, address] of [['via', route.via], ['src', route.source]] as const) {
      if (address && address.family !== route.family) throw new AddressError(name, `${what} ${address.address} is not ${route.family}`);
    }
    if (route.dev !== undefined && !isValidLinkName(route.dev)) throw new AddressError(name, `invalid device name ${JSON.stringify(route.dev)}`);
    if (route.via === undefined && route.dev === undefined) throw new AddressError(name, 'a route needs a gateway or a device');
    if (route.onlink && route.via === undefined) throw new AddressError(name, 'onlink without a gateway');
    const k = key(route.family, route.prefix);
    if (seen.has(k)) throw new AddressError(name, 'more than one desired route for the prefix');
    seen.add(k);
  }
}

/** Whether an observed route of ours is exactly what `routeLine(desired)` installs. */
export function routeMatches(desired: KernelRoute, observed: ObservedRoute): boolean {
  return (
    observed.type === undefined &&
    !observed.multipath &&
    observed.metric === defaultRouteMetric(desired.family) &&
    sameAddress(desired.via, observed.via) &&
    // Without a device the kernel picks one from the gateway: any is fine.
    (desired.dev === undefined || desired.dev === observed.dev) &&
    Boolean(desired.onlink) === observed.onlink &&
    sameAddress(desired.source, observed.source)
  );
}

function sameAddress(a: { readonly address: string } | undefined, b: { readonly address: string } | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.address === b.address;
}

/** `route replace ...` for a desired route (idempotent: replace creates or overwrites). */
export function routeLine(route: KernelRoute): string {
  const words = ['route', 'replace', route.prefix.toString()];
  if (route.via) words.push('via', route.via.address);
  if (route.dev !== undefined) words.push('dev', route.dev);
  if (route.onlink) words.push('onlink');
  if (route.source) words.push('src', route.source.address);
  words.push('proto', String(ROUTE_PROTOCOL));
  return words.join(' ');
}

/**
 * `route del ...` naming the observed route as precisely as the kernel matches: type
 * (an `unreachable` route is not found without it), protocol, metric, and for a single
 * path its gateway and device. Always in the main table.
 */
export function routeDeleteLine(route: ObservedRoute): string {
  const words = ['route', 'del'];
  if (route.type !== undefined) words.push(route.type);
  words.push(route.prefix.toString(), 'proto', String(ROUTE_PROTOCOL), 'metric', String(route.metric));
  if (!route.multipath) {
    if (route.via) words.push('via', route.via.address);
    if (route.dev !== undefined) words.push('dev', route.dev);
  }
  words.push('table', 'main');
  return words.join(' ');
}

export interface RoutePlanOptions {
  /**
   * Leave our routes at prefixes that are not desired (while GoBGP's RIB warms up after
   * a BGP server start, see model/rib-warmup.ts); desired prefixes are still converged.
   */
  readonly keepUnwanted?: boolean;
}

/**
 * Plan our routes. `own` are the routes of protocol ROUTE_PROTOCOL in the main table (both
 * families); `foreign`, when given, the main table's other routes.
 */
export function planKernelRoutes(desired: readonly KernelRoute[], own: readonly ObservedRoute[], foreign?: readonly ObservedRoute[], options: RoutePlanOptions = {}): RoutePlan {
  validate(desired);
  const ownByKey = new Map<string, ObservedRoute[]>();
  for (const route of own) {
    const k = key(route.family, route.prefix);
    ownByKey.set(k, [...(ownByKey.get(k) ?? []), route]);
  }
  const foreignAtKey = new Map<string, ObservedRoute>();
  for (const route of foreign ?? []) {
    if (route.metric === defaultRouteMetric(route.family)) foreignAtKey.set(key(route.family, route.prefix), route);
  }

  const added: KernelRoute[] = [];
  const updated: KernelRoute[] = [];
  const removed: ObservedRoute[] = [];
  const conflicts: RouteConflict[] = [];
  // IPv6 refuses to move an onlink route to another device while the old route still
  // covers its gateway: such a route is deleted first (within the same batch).
  const deleteFirst: ObservedRoute[] = [];
  let unchanged = 0;
  let needsForeignCheck = false;

  for (const route of sortRoutes(desired)) {
    const k = key(route.family, route.prefix);
    const mine = ownByKey.get(k) ?? [];
    ownByKey.delete(k);
    const atMetric = mine.find((o) => o.metric === defaultRouteMetric(route.family));
    // Ours at other metrics (or a second one at ours, from `ip route append`) go.
    for (const other of mine) if (other !== atMetric) removed.push(other);
    if (atMetric && routeMatches(route, atMetric)) {
      unchanged++;
    } else if (atMetric) {
      updated.push(route);
      if (route.family === 'ipv6' && route.onlink && atMetric.dev !== route.dev) deleteFirst.push(atMetric);
    } else {
      const holder = foreignAtKey.get(k);
      if (holder) conflicts.push({ route, foreign: holder });
      else {
        added.push(route);
        if (foreign === undefined) needsForeignCheck = true;
      }
    }
  }
  const kept: ObservedRoute[] = [];
  for (const rest of ownByKey.values()) (options.keepUnwanted ? kept : removed).push(...rest);

  const removals = sortObserved([...removed, ...deleteFirst]);
  const lines = [...removals.map(routeDeleteLine), ...sortRoutes([...updated, ...added]).map(routeLine)];
  return { lines, added, updated, removed: sortObserved(removed), kept: sortObserved(kept), unchanged, conflicts, needsForeignCheck };
}

function sortRoutes<T extends KernelRoute>(routes: readonly T[]): T[] {
  return [...routes].sort((a, b) => compareCIDRs(a.prefix, b.prefix));
}

function sortObserved(routes: readonly ObservedRoute[]): ObservedRoute[] {
  return [...routes].sort((a, b) => compareCIDRs(a.prefix, b.prefix) || a.metric - b.metric);
}
