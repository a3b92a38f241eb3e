// The CNI configuration list: kube-router's template (bridge `kube-bridge` + host-local
// IPAM) merged into whatever the file already holds. kube-router promises to keep what a
// user added (chained plugins such as portmap, extra IPAM fields, a custom network name),
// so this works on plain JSON and touches only the fields it owns in the bridge plugin:
//   bridge, isGateway, isDefaultGateway, hairpinMode (only to turn it on), mtu (only with
//   auto-MTU), ipam.type, and ipam.ranges (one range set per enabled family, in the
//   node's pod CIDR order).
// Unlike kube-router, which only ever appends ranges, ranges for CIDRs that are no longer
// the node's are dropped: host-local would otherwise keep handing out addresses from a
// stale range. A range the user refined (rangeStart, rangeEnd, gateway) is kept as is
// while its subnet is still the node's.
// Pure: the caller reads and writes the files.
import { ConfigError } from '@kr/errors';
import { IPAddress, contains, kubernetesFamilyName, tryParseCIDR, tryParseIP, type Cidr } from '@kr/ip';
import { isJsonObject, jsonEqual, type JsonObject, type JsonValue } from './json.js';

/** kube-router's bridge, kept so existing tooling, routes and firewall rules match. */
export const BRIDGE_NAME = 'kube-bridge';
/** The network and plugin names and CNI version of kube-router's shipped configuration. */
export const NETWORK_NAME = 'mynet';
export const BRIDGE_PLUGIN_NAME = 'kubernetes';
export const DEFAULT_CNI_VERSION = '0.3.0';
/** Chained plugins (prevResult) and results with several IPs (dual-stack) need 0.3.0. */
const MINIMUM_CNI_VERSION = [0, 3, 0] as const;

const FLAG = '--cni-conf-file';

/** A configuration file as found on disk, parsed. */
export interface ExistingCniConfig {
  /** A configuration list, or a legacy single-plugin configuration. */
  readonly kind: 'conflist' | 'conf';
  readonly path: string;
  readonly value: JsonObject;
}

export interface DesiredCniConfig {
  /** The node's pod CIDRs of enabled families, in the node's order (already validated). */
  readonly podCidrs: readonly Cidr[];
  /** Written when auto-MTU determined it; otherwise the file's value is left alone. */
  readonly mtu?: number;
  /** --hairpin-mode: true turns hairpinMode on; false leaves the file's value. */
  readonly hairpinMode: boolean;
}

/** The bridge's address for one pod CIDR: what host-local hands pods as their gateway. */
export interface Gateway {
  readonly cidr: Cidr;
  readonly ip: IPAddress;
}

export interface RenderedConflist {
  readonly config: JsonObject;
  readonly gateways: readonly Gateway[];
  /** The MTU the configuration ends up with, if it has one. */
  readonly mtu?: number;
  readonly hairpinMode: boolean;
  /** What was changed in the user's configuration, and why (for the log). */
  readonly notes: readonly string[];
}

export function defaultBridgePlugin(): JsonObject {
  return {
    name: BRIDGE_PLUGIN_NAME,
    type: 'bridge',
    bridge: BRIDGE_NAME,
    isGateway: true,
    isDefaultGateway: true,
    ipam: { type: 'host-local' },
  };
}

export function defaultConflist(): JsonObject {
  return { cniVersion: DEFAULT_CNI_VERSION, name: NETWORK_NAME, plugins: [defaultBridgePlugin()] };
}

/**
 * Reads a configuration file's text: a list (it has `plugins`) or a single plugin (it
 * has `type`), whatever its extension. ConfigError when it is neither.
 */
export function parseCniConfig(path: string, text: string): ExistingCniConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(FLAG, `${path} is not valid JSON (${(err as Error).message}); fix or remove it`, { cause: err });
  }
  if (!isJsonObject(value)) throw new ConfigError(FLAG, `${path} does not hold a JSON object`);
  if (Object.hasOwn(value, 'plugins')) {
    const plugins = value['plugins'];
    if (!Array.isArray(plugins) || plugins.length === 0 || !plugins.every((p) => isJsonObject(p) && typeof p['type'] === 'string')) {
      throw new ConfigError(FLAG, `${path}: "plugins" must be a non-empty list of plugin objects, each with a "type"`);
    }
    return { kind: 'conflist', path, value };
  }
  if (typeof value['type'] === 'string') return { kind: 'conf', path, value };
  throw new ConfigError(FLAG, `${path} is neither a configuration list ("plugins") nor a plugin configuration ("type")`);
}

/** A legacy single-plugin configuration as a list, the way libcni's ConfListFromConf does it. */
export function conflistFromConf(conf: JsonObject): JsonObject {
  return {
    cniVersion: typeof conf['cniVersion'] === 'string' ? conf['cniVersion'] : DEFAULT_CNI_VERSION,
    name: typeof conf['name'] === 'string' ? conf['name'] : NETWORK_NAME,
    plugins: [conf],
  };
}

function asList(existing: ExistingCniConfig | undefined): JsonObject {
  if (!existing) return defaultConflist();
  return existing.kind === 'conf' ? conflistFromConf(existing.value) : existing.value;
}

export function renderConflist(existing: ExistingCniConfig | undefined, desired: DesiredCniConfig): RenderedConflist {
  const notes: string[] = [];
  const list: JsonObject = { ...asList(existing) };
  if (existing?.kind === 'conf') notes.push(`converted the single-plugin configuration ${existing.path} into a configuration list`);
  const path = existing?.path ?? 'the configuration';

  const version = list['cniVersion'];
  if (typeof version !== 'string' || olderThanMinimum(version)) {
    list['cniVersion'] = DEFAULT_CNI_VERSION;
    if (existing) notes.push(`cniVersion ${JSON.stringify(version ?? null)} raised to ${DEFAULT_CNI_VERSION}: chained plugins and several pod IPs need it`);
  }
  if (typeof list['name'] !== 'string' || list['name'] === '') list['name'] = NETWORK_NAME;

  const plugins = [...(list['plugins'] as JsonObject[])];
  let index = plugins.findIndex((p) => p['type'] === 'bridge');
  if (index < 0) {
    // The main plugin goes first: chained plugins (portmap, bandwidth) act on its result.
    plugins.unshift(defaultBridgePlugin());
    index = 0;
    if (existing) notes.push(`${path} has no bridge plugin; added kube-router's in front of the chain`);
  }
  const merged = mergeBridgePlugin(plugins[index] as JsonObject, desired, path, notes);
  plugins[index] = merged.plugin;
  list['plugins'] = plugins;
  return { config: list, gateways: merged.gateways, ...(merged.mtu !== undefined ? { mtu: merged.mtu } : {}), hairpinMode: merged.hairpinMode, notes };
}

function olderThanMinimum(version: string): boolean {
  const parts = version.split('.').map((p) => Number.parseInt(p, 10));
  if (parts.length === 0 || parts.some((p) => Number.isNaN(p))) return true;
  for (let i = 0; i < MINIMUM_CNI_VERSION.length; i++) {
    const have = parts[i] ?? 0;
    const need = MINIMUM_CNI_VERSION[i] as number;
    if (have !== need) return have < need;
  }
  return false;
}

interface MergedBridge {
  readonly plugin: JsonObject;
  readonly gateways: Gateway[];
  readonly mtu?: number;
  readonly hairpinMode: boolean;
}

function mergeBridgePlugin(original: JsonObject, desired: DesiredCniConfig, path: string, notes: string[]): MergedBridge {
  // Spreading keeps the user's key order; keys we add go at the end.
  const plugin: JsonObject = { ...original };
  if (plugin['bridge'] !== BRIDGE_NAME) {
    if (plugin['bridge'] !== undefined) notes.push(`bridge ${JSON.stringify(plugin['bridge'])} replaced by ${BRIDGE_NAME}: routes and firewall rules expect it`);
    plugin['bridge'] = BRIDGE_NAME;
  }
  for (const key of ['isGateway', 'isDefaultGateway']) {
    // Pods reach everything through the bridge's address: both must be on.
    if (plugin[key] === false) notes.push(`${key} turned on: pods route through ${BRIDGE_NAME}`);
    plugin[key] = true;
  }
  if (desired.hairpinMode) plugin['hairpinMode'] = true;
  if (desired.mtu !== undefined) plugin['mtu'] = desired.mtu;

  const ipam: JsonObject = isJsonObject(plugin['ipam']) ? { ...plugin['ipam'] } : {};
  if (ipam['type'] === undefined) ipam['type'] = 'host-local';
  else if (ipam['type'] !== 'host-local') {
    throw new ConfigError(FLAG, `${path}: the bridge plugin's IPAM is ${JSON.stringify(ipam['type'])}; only host-local can be given this node's pod CIDRs`);
  }
  const candidates = [...legacyRange(ipam), ...existingRanges(ipam)];
  const used = new Set<JsonObject>();
  const gateways: Gateway[] = [];
  const ranges: JsonValue[] = desired.podCidrs.map((cidr) => {
    const kept: JsonObject[] = [];
    for (const r of candidates) {
      if (used.has(r) || !sameSubnet(r, cidr)) continue;
      used.add(r);
      // The same range twice would make host-local reject the set as overlapping.
      if (!kept.some((k) => jsonEqual(k, r))) kept.push(r);
    }
    const set = kept.length > 0 ? kept.map((r) => checkedRange(r, cidr, notes)) : [{ subnet: cidr.toString() }];
    gateways.push({ cidr, ip: gatewayOf(set[0] as JsonObject, cidr) });
    return set;
  });
  for (const r of candidates) {
    if (!used.has(r)) notes.push(`range ${JSON.stringify(r['subnet'] ?? null)} removed: not a pod CIDR of this node`);
  }
  ipam['ranges'] = ranges;
  plugin['ipam'] = ipam;
  return {
    plugin,
    gateways,
    ...(typeof plugin['mtu'] === 'number' ? { mtu: plugin['mtu'] } : {}),
    hairpinMode: plugin['hairpinMode'] === true,
  };
}

/**
 * host-local's older single-range form (`subnet` with `rangeStart`, `rangeEnd`, `gateway`
 * beside it in `ipam`) becomes one range, as host-local's own loader does; the fields
 * are removed from `ipam` so the two forms never disagree.
 */
function legacyRange(ipam: JsonObject): JsonObject[] {
  if (typeof ipam['subnet'] !== 'string') return [];
  const range: JsonObject = {};
  for (const key of ['subnet', 'rangeStart', 'rangeEnd', 'gateway']) {
    if (ipam[key] !== undefined) range[key] = ipam[key] as JsonValue;
    delete ipam[key];
  }
  return [range];
}

function existingRanges(ipam: JsonObject): JsonObject[] {
  const sets = Array.isArray(ipam['ranges']) ? ipam['ranges'] : [];
  return sets.flatMap((set) => (Array.isArray(set) ? set.filter(isJsonObject) : []));
}

function sameSubnet(range: JsonObject, cidr: Cidr): boolean {
  const subnet = typeof range['subnet'] === 'string' ? tryParseCIDR(range['subnet']) : undefined;
  return subnet !== undefined && subnet.equals(cidr);
}

/** A kept range, without a gateway host-local would reject (it falls back to the default). */
function checkedRange(range: JsonObject, cidr: Cidr, notes: string[]): JsonObject {
  if (range['gateway'] === undefined || usableGateway(range['gateway'], cidr)) return range;
  notes.push(`gateway ${JSON.stringify(range['gateway'])} of range ${cidr.toString()} removed: not a usable address of the range`);
  const { gateway: _gateway, ...rest } = range;
  return rest;
}

function usableGateway(value: JsonValue, cidr: Cidr): IPAddress | undefined {
  const ip = typeof value === 'string' ? tryParseIP(value) : undefined;
  if (!ip || !contains(cidr, ip) || ip.value === cidr.value) return undefined;
  if (cidr.family === 'ipv4' && ip.equals(cidr.last)) return undefined;
  return ip;
}

/** The range's gateway, or host-local's default: the first address after the network's. */
function gatewayOf(range: JsonObject, cidr: Cidr): IPAddress {
  return (range['gateway'] !== undefined ? usableGateway(range['gateway'], cidr) : undefined) ?? IPAddress.fromValue(cidr.family, cidr.value + 1n);
}

/** The interface address the bridge carries for a gateway (`10.244.1.1/24`). */
export function gatewayInterfaceAddress(gateway: Gateway): string {
  return `${gateway.ip.address}/${gateway.cidr.prefixLength}`;
}

export function describeGateways(gateways: readonly Gateway[]): string {
  return gateways.map((g) => `${kubernetesFamilyName(g.cidr.family)} ${gatewayInterfaceAddress(g)}`).join(', ');
}

/** What --cleanup-config does to a configuration list this controller wrote. */
export type ConflistCleanup =
  | { readonly action: 'delete' }
  | { readonly action: 'write'; readonly config: JsonObject }
  | { readonly action: 'keep' };

/**
 * kube-router's --cleanup-config leaves the CNI configuration alone. We remove what we
 * put there: the node-specific ranges and MTU. When nothing else is left than what we
 * would have written from scratch, the file is ours and is deleted; when the user added
 * plugins or fields, the file stays (without ranges: host-local then refuses new pods
 * with a clear error instead of handing out addresses of a bridge that is gone).
 */
export function planConflistCleanup(existing: ExistingCniConfig, hairpinMode: boolean): ConflistCleanup {
  const list = asList(existing);
  const stripped = withoutNodeFacts(list);
  const ours = withoutNodeFacts(renderConflist(undefined, { podCidrs: [], hairpinMode }).config);
  if (jsonEqual(stripped, ours)) return { action: 'delete' };
  if (existing.kind === 'conflist' && jsonEqual(stripped, existing.value)) return { action: 'keep' };
  return { action: 'write', config: stripped };
}

function withoutNodeFacts(list: JsonObject): JsonObject {
  const plugins = Array.isArray(list['plugins']) ? list['plugins'] : [];
  return {
    ...list,
    plugins: plugins.map((p) => {
      if (!isJsonObject(p) || p['type'] !== 'bridge') return p;
      const { mtu: _mtu, ...plugin } = p;
      if (isJsonObject(plugin['ipam'])) {
        const { ranges: _ranges, ...ipam } = plugin['ipam'];
        plugin['ipam'] = ipam;
      }
      return plugin;
    }),
  };
}
