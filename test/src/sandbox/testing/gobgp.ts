// What a sandbox node's gobgpd itself reports, through Debian's `gobgp` CLI run in the
// node's namespace (`kr-sandbox exec NODE -- gobgp ...`).
import { sandboxOk } from './cli.js';

/** GoBGP's session_state for Established in `gobgp neighbor -j`. */
export const ESTABLISHED = 6;

interface GobgpNeighbor {
  state: { neighbor_address: string; session_state?: number };
  timers?: { state?: { uptime?: { seconds?: number } } };
}

/** The node's BGP sessions: peer address → [state, established since (unix seconds)]. */
export async function sessions(node: string): Promise<Record<string, [number, number]>> {
  const list = JSON.parse((await sandboxOk(['exec', node, '--', 'gobgp', 'neighbor', '-j'])).stdout) as GobgpNeighbor[];
  return Object.fromEntries(list.map((n) => [n.state.neighbor_address, [n.state.session_state ?? 0, n.timers?.state?.uptime?.seconds ?? 0]]));
}
