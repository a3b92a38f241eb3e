// BIRD 2 (Debian's bird2) as an external BGP router inside a sandbox host: its
// configuration, and what `birdc show route all` / `show protocols` print, parsed.
// Everything BIRD writes (control socket, pid file, log) goes to a directory of the
// test's own.

export type BirdFamily = 'ipv4' | 'ipv6';

export interface BirdPeer {
  /** BIRD protocol name, e.g. `node1_v4`. */
  readonly name: string;
  readonly address: string;
  readonly asn: number;
}

export interface BirdConfigInput {
  readonly dir: string;
  readonly routerId: string;
  readonly asn: number;
  readonly peers: readonly BirdPeer[];
  /**
   * Per family: the next hop BIRD announces (its own address of that family, also over a
   * session of the other family) and the static prefixes it originates.
   */
  readonly families: Readonly<Partial<Record<BirdFamily, { readonly nextHop: string; readonly statics: readonly string[] }>>>;
}

export function birdPaths(dir: string): { config: string; socket: string; pid: string; log: string } {
  return { config: `${dir}/bird.conf`, socket: `${dir}/bird.ctl`, pid: `${dir}/bird.pid`, log: `${dir}/bird.log` };
}

/**
 * One eBGP protocol per peer address, each carrying every configured family (MP-BGP, as
 * the nodes' sessions do). BIRD imports everything and exports only its static routes
 * (RFC 8212: an eBGP channel without filters would import and export nothing).
 */
export function birdConfig(input: BirdConfigInput): string {
  const families = (['ipv4', 'ipv6'] as const).filter((f) => input.families[f]);
  const lines = [`log "${birdPaths(input.dir).log}" all;`, `router id ${input.routerId};`, 'protocol device { scan time 2; }'];
  for (const f of families) {
    const { statics } = input.families[f]!;
    lines.push(`protocol static static_${f} { ${f}; ${statics.map((s) => `route ${s} blackhole;`).join(' ')} }`);
  }
  lines.push('template bgp cluster_node {', `  local as ${input.asn};`);
  for (const f of families) {
    lines.push(`  ${f} { import all; export where source = RTS_STATIC; next hop address ${input.families[f]!.nextHop}; };`);
  }
  lines.push('}');
  for (const p of input.peers) lines.push(`protocol bgp ${p.name} from cluster_node { neighbor ${p.address} as ${p.asn}; }`);
  return `${lines.join('\n')}\n`;
}

export interface BirdRoute {
  /** `master4` or `master6`. */
  readonly table: string;
  readonly prefix: string;
  /** The protocol it came from (`static_ipv4`, `node1_v4`, ...). */
  readonly protocol: string;
  /** BIRD's best route for the prefix (`*`). */
  readonly primary: boolean;
  /** BGP.next_hop (global, then link-local when there is one). */
  readonly nextHops: readonly string[];
  readonly asPath: readonly number[];
}

const ROUTE_HEAD = /^(?:(\S+)\s+)?\s*\w+\s+\[(\S+)\s[^\]]*\]\s*(\*)?/;

/** `birdc show route all`: one entry per route (a prefix learned from three peers is three). */
export function parseBirdRoutes(text: string): BirdRoute[] {
  const routes: { table: string; prefix: string; protocol: string; primary: boolean; nextHops: string[]; asPath: number[] }[] = [];
  let table = '';
  let prefix = '';
  for (const line of text.split('\n')) {
    const tableMatch = /^Table (\S+):$/.exec(line);
    if (tableMatch) {
      table = tableMatch[1]!;
      continue;
    }
    if (line.startsWith('\t')) {
      const current = routes.at(-1);
      const attr = /^\t(BGP\.next_hop|BGP\.as_path):\s*(.*)$/.exec(line);
      if (current && attr) {
        const words = attr[2]!.trim().split(/\s+/).filter(Boolean);
        if (attr[1] === 'BGP.next_hop') current.nextHops = words;
        else current.asPath = words.map(Number);
      }
      continue;
    }
    if (!table || line.trim() === '') continue;
    const head = ROUTE_HEAD.exec(line);
    if (!head) continue;
    if (head[1] !== undefined) prefix = head[1];
    routes.push({ table, prefix, protocol: head[2]!, primary: head[3] === '*', nextHops: [], asPath: [] });
  }
  return routes;
}

/** `birdc show protocols`: name → state info (`Established`, `Active`, ...; '' for non-BGP). */
export function parseBirdProtocols(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m || m[1] === 'Name' || m[1] === 'BIRD') continue;
    out.set(m[1]!, m[6]!.trim());
  }
  return out;
}
