// Tables for `kr peers`, `kr routes` and `kr advertisements`, in the style of `kr status`:
// a header line saying which BGP speaker answered and how fresh the answer is, then one
// table per list, then what is absent and why. Pure: the time is an argument.
import { nodestate, type routerAdmin } from '@kr/proto';

/** "BGP_SESSION_STATE_ESTABLISHED" → "established", "PEER_SOURCE_NODE_MESH" → "node-mesh". */
function enumName(names: Record<number, string>, value: number, prefix: string): string {
  const name = names[value];
  if (name === undefined || name.endsWith('_UNSPECIFIED')) return value === 0 ? '-' : String(value);
  return name.slice(prefix.length).toLowerCase().replaceAll('_', '-');
}

const family = (f: nodestate.Family) => enumName(nodestate.Family, f, 'FAMILY_');
const families = (fs: readonly nodestate.Family[]) => fs.map(family).join(',');

/** A duration in its two largest units: "45s", "4m5s", "2h3m", "3d4h". */
export function span(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

/** Columns padded to their widest cell; the last column is not padded. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

function header(r: routerAdmin.RouterSummary | undefined, now: Date): string {
  if (!r) return 'router: no answer';
  const listen = r.listenAddresses.map((a) => (a.ip.includes(':') ? `[${a.ip}]` : a.ip)).map((a) => `${a}:${r.listenPort}`);
  return [
    `node ${r.node || '(unknown)'}`,
    r.localAsn ? `AS ${r.localAsn}` : 'AS -',
    `router-id ${r.routerId || '-'}`,
    ...(r.listenPort < 0 ? ['not listening'] : listen.length ? [`listening ${listen.join(', ')}`] : []),
    r.synced ? `synced ${span(now.getTime() - r.synced.getTime())} ago` : 'no sync completed yet',
  ].join('   ');
}

function lines(all: string[]): string {
  return `${all.join('\n')}\n`;
}

export function formatPeersTable(r: routerAdmin.ListPeersResponse, now = new Date()): string {
  const out = [header(r.router, now), r.live ? 'sessions: live from GoBGP' : `sessions: as of the last sync (GoBGP: ${r.liveError || 'not asked'})`, ''];
  if (r.peers.length === 0) out.push('no peers');
  else {
    const rows = [['PEER', 'ASN', 'SOURCE', 'NODE', 'STATE', 'UPTIME', 'FAMILIES', 'RECEIVED', 'ACCEPTED', 'ADVERTISED', 'DESCRIPTION']];
    for (const { peer, ...d } of r.peers) {
      const p = peer ?? nodestate.BgpPeer.fromPartial({});
      const established = p.state === nodestate.BgpSessionState.BGP_SESSION_STATE_ESTABLISHED;
      const notes = [...(d.passwordSet ? ['md5'] : []), ...(d.multihopTtl ? [`multihop ${d.multihopTtl}`] : []), ...(d.routeReflectorClusterId ? [`rr-client ${d.routeReflectorClusterId}`] : [])];
      rows.push([
        d.port && d.port !== 179 ? `${bracketed(p.address?.ip ?? '-')}:${d.port}` : (p.address?.ip ?? '-'),
        String(p.asn),
        enumName(nodestate.PeerSource, p.source, 'PEER_SOURCE_'),
        p.node || '-',
        enumName(nodestate.BgpSessionState, p.state, 'BGP_SESSION_STATE_'),
        established && p.stateSince ? span(now.getTime() - p.stateSince.getTime()) : '-',
        // Negotiated once established; until then what is configured, in parentheses.
        established ? families(p.families) || '-' : `(${families(d.configuredFamilies)})`,
        String(p.receivedPrefixes),
        String(p.acceptedPrefixes),
        String(p.advertisedPrefixes),
        [d.description, ...(notes.length ? [`(${notes.join(', ')})`] : [])].filter((x) => x).join(' ') || '-',
      ]);
    }
    out.push(...table(rows));
  }
  if (r.skippedNodes.length) out.push('', 'nodes not peered with:', ...r.skippedNodes.map((s) => `  ${s.node}: ${s.reason}`));
  return lines(out);
}

function bracketed(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip;
}

export function formatRoutesTable(r: routerAdmin.ListRoutesResponse, now = new Date()): string {
  const out = [header(r.router, now), ''];
  if (r.routes.length === 0) out.push('no routes');
  else {
    const rows = [['PREFIX', 'NEXT HOP', 'PATH', 'DEV', 'SRC', 'NODE', 'INSTALLED']];
    for (const { route, dev, src } of r.routes) {
      const x = route ?? nodestate.LearnedRoute.fromPartial({});
      rows.push([x.prefix?.cidr ?? '-', x.nextHop?.ip ?? '-', enumName(nodestate.RoutePath, x.path, 'ROUTE_PATH_'), dev || '-', src?.ip ?? '-', x.node || '-', x.installed ? 'yes' : 'no']);
    }
    out.push(...table(rows));
  }
  if (r.tunnels.length) {
    const rows = [['TUNNEL', 'ENCAP', 'FAMILY', 'LOCAL', 'REMOTE', 'NODE', 'PORT', 'VNI']];
    // IPv4 first, then by remote end (the router lists them by link name, a hash).
    const sorted = [...r.tunnels].sort((x, y) => (x.tunnel?.family ?? 0) - (y.tunnel?.family ?? 0) || (x.tunnel?.remote?.ip ?? '').localeCompare(y.tunnel?.remote?.ip ?? ''));
    for (const { tunnel, node, port, vni } of sorted) {
      const t = tunnel ?? nodestate.Tunnel.fromPartial({});
      rows.push([t.name, t.encap || '-', family(t.family), t.local?.ip ?? '-', t.remote?.ip ?? '-', node || '-', port ? String(port) : '-', vni ? String(vni) : '-']);
    }
    out.push('', ...table(rows));
  }
  if (r.skipped.length) {
    out.push('', 'best paths not installed:', ...r.skipped.map((s) => `  ${s.prefix?.cidr ?? '-'} via ${s.nextHop?.ip ?? '-'}${s.peer && s.peer.ip !== s.nextHop?.ip ? ` (from ${s.peer.ip})` : ''}: ${s.reason}`));
  }
  return lines(out);
}

export function formatAdvertisementsTable(r: routerAdmin.ListAdvertisementsResponse, now = new Date()): string {
  const out = [header(r.router, now), ''];
  const kind = (k: nodestate.AdvertisementKind) => enumName(nodestate.AdvertisementKind, k, 'ADVERTISEMENT_KIND_');
  if (r.advertised.length === 0) out.push('nothing advertised');
  else {
    const rows = [['PREFIX', 'KIND', 'NEXT HOP', 'SERVICE']];
    for (const a of r.advertised) rows.push([a.prefix?.cidr ?? '-', kind(a.kind), a.nextHop?.ip ?? '-', a.service ? a.service.split(',').join(', ') : '-']);
    out.push(...table(rows));
  }
  if (r.withheld.length) {
    const rows = [['WITHHELD', 'KIND', 'SERVICE', 'REASON']];
    for (const w of r.withheld) rows.push([w.address?.ip ?? '-', kind(w.kind), w.service || '-', w.reason]);
    out.push('', ...table(rows));
  }
  const actions = [
    ...(r.communities.length ? [`communities ${r.communities.join(', ')}`] : []),
    ...(r.pathPrependRepeat ? [`AS-path prepend ${r.pathPrependAsn} x${r.pathPrependRepeat}`] : []),
  ];
  if (actions.length) out.push('', `towards external peers: ${actions.join('; ')}`);
  return lines(out);
}
