// `kr peers`, `kr routes`, `kr advertisements`: the router's own admin service, asked at
// --admin-router. Filters are applied by the router; JSON is the proto3 JSON mapping of
// the answer (fields at their default value are left out).
import { formatHelp, parseFlags, type FlagSpec } from '@kr/agent';
import { nodestate, routerAdmin } from '@kr/proto';
import { COMMON, type Out } from './common.js';
import { connectRouter, type RouterConnection } from './router-client.js';
import { formatAdvertisementsTable, formatPeersTable, formatRoutesTable } from './router-format.js';

const FAMILIES: Record<string, nodestate.Family> = {
  '': nodestate.Family.FAMILY_UNSPECIFIED,
  ipv4: nodestate.Family.FAMILY_IPV4,
  ipv6: nodestate.Family.FAMILY_IPV6,
};

const KINDS: Record<string, nodestate.AdvertisementKind> = {
  '': nodestate.AdvertisementKind.ADVERTISEMENT_KIND_UNSPECIFIED,
  'pod-cidr': nodestate.AdvertisementKind.ADVERTISEMENT_KIND_POD_CIDR,
  'cluster-ip': nodestate.AdvertisementKind.ADVERTISEMENT_KIND_CLUSTER_IP,
  'external-ip': nodestate.AdvertisementKind.ADVERTISEMENT_KIND_EXTERNAL_IP,
  'loadbalancer-ip': nodestate.AdvertisementKind.ADVERTISEMENT_KIND_LOADBALANCER_IP,
};

const oneOf = (values: Record<string, unknown>) => (v: string) => (v in values ? undefined : `must be one of ${Object.keys(values).filter((k) => k).join(', ')} (or empty for all)`);

const FAMILY_FLAG = { name: 'family', type: 'string', default: '', help: 'Only this family: ipv4 or ipv6', check: oneOf(FAMILIES) } as const;
const NODE_FLAG = { name: 'node', type: 'string', default: '', help: 'Only what concerns this node of the cluster' } as const;

const PEERS_FLAGS = [...COMMON, { ...FAMILY_FLAG, help: 'Only peers whose session runs over this family: ipv4 or ipv6' }, NODE_FLAG] as const satisfies readonly FlagSpec[];
const ROUTES_FLAGS = [...COMMON, { ...FAMILY_FLAG, help: 'Only routes to prefixes (and tunnels) of this family: ipv4 or ipv6' }, { ...NODE_FLAG, help: "Only routes to this node's prefixes and the tunnel to it" }] as const satisfies readonly FlagSpec[];
const ADVERTISEMENTS_FLAGS = [
  ...COMMON,
  { ...FAMILY_FLAG, help: 'Only prefixes and VIPs of this family: ipv4 or ipv6' },
  { name: 'kind', type: 'string', default: '', help: 'Only this kind: pod-cidr, cluster-ip, external-ip or loadbalancer-ip', check: oneOf(KINDS) },
  { name: 'service', type: 'string', default: '', help: 'Only the VIPs of this service, namespace/name' },
] as const satisfies readonly FlagSpec[];

/** Parses, asks the router once, prints; help exits 0. */
async function ask<Specs extends readonly FlagSpec[], Res>(
  specs: Specs,
  usage: string,
  description: string,
  args: readonly string[],
  io: Out,
  query: (router: RouterConnection, values: ReturnType<typeof parseFlags<Specs>> & { kind: 'run' }) => Promise<Res>,
  render: { table: (r: Res) => string; json: (r: Res) => unknown },
): Promise<number> {
  const parsed = parseFlags(specs, args);
  if (parsed.kind !== 'run') {
    io.out(formatHelp(usage, description, specs));
    return 0;
  }
  const values = parsed.values as unknown as { 'admin-router': string; timeout: number; json: boolean };
  const router = connectRouter(values['admin-router'], { deadlineMs: values.timeout });
  try {
    const response = await query(router, parsed);
    io.out(values.json ? `${JSON.stringify(render.json(response), null, 2)}\n` : render.table(response));
    return 0;
  } finally {
    router.close();
  }
}

export function peers(args: readonly string[], io: Out): Promise<number> {
  return ask(
    PEERS_FLAGS,
    'kr peers [flags]',
    "The router's BGP peers: session state, uptime, families and prefix counts as GoBGP reports them now, and the nodes not peered with and why.",
    args,
    io,
    (router, { values }) => router.listPeers({ family: FAMILIES[values.family]!, node: values.node }),
    { table: (r) => formatPeersTable(r), json: (r) => routerAdmin.ListPeersResponse.toJSON(r) },
  );
}

export function routes(args: readonly string[], io: Out): Promise<number> {
  return ask(
    ROUTES_FLAGS,
    'kr routes [flags]',
    "The routes the router installed from GoBGP's best paths (direct or over a tunnel), its tunnels, and the best paths not installed and why.",
    args,
    io,
    (router, { values }) => router.listRoutes({ family: FAMILIES[values.family]!, node: values.node }),
    { table: (r) => formatRoutesTable(r), json: (r) => routerAdmin.ListRoutesResponse.toJSON(r) },
  );
}

export function advertisements(args: readonly string[], io: Out): Promise<number> {
  return ask(
    ADVERTISEMENTS_FLAGS,
    'kr advertisements [flags]',
    'The prefixes this node advertises (pod CIDRs and service VIPs, each with a next hop of its own family), and the VIPs withheld and why.',
    args,
    io,
    (router, { values }) => router.listAdvertisements({ family: FAMILIES[values.family]!, kind: KINDS[values.kind]!, service: values.service }),
    { table: (r) => formatAdvertisementsTable(r), json: (r) => routerAdmin.ListAdvertisementsResponse.toJSON(r) },
  );
}
