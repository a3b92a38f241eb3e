// What each node's controllers say about themselves: `kr status --json` run inside the
// node's namespace (it talks to the controllers' admin APIs on the node's loopback).
import { errorMessage } from '@kr/errors';
import { runTool } from './exec.js';
import type { SandboxController } from './node/index.js';

export interface ControllerHealth {
  /** healthy, degraded, failing, starting, ..., or absent when it does not answer. */
  readonly health: string;
  /** The controller has seen API changes it has not applied yet. */
  readonly syncPending: boolean;
  readonly reasons: readonly string[];
}

export type NodeControllers = Readonly<Record<string, ControllerHealth>>;

interface KrStatusJson {
  controllers?: Record<
    string,
    {
      health?: string;
      admin?: { reachable?: boolean; error?: string; status?: { healthReasons?: string[]; header?: { syncPending?: boolean } } };
    }
  >;
}

/** Reads `kr status --json` (protobuf JSON leaves `syncPending: false` out). */
export function parseKrStatus(json: unknown, controllers: readonly SandboxController[]): NodeControllers {
  const report = (json ?? {}) as KrStatusJson;
  return Object.fromEntries(
    controllers.map((c) => {
      const entry = report.controllers?.[c];
      const status = entry?.admin?.status;
      const reasons = [...(status?.healthReasons ?? []), ...(entry?.admin?.error ? [entry.admin.error] : [])];
      return [c, { health: entry?.admin?.reachable === false ? 'absent' : (entry?.health ?? 'absent'), syncPending: status?.header?.syncPending === true, reasons }];
    }),
  );
}

/** Whether a controller has applied everything it saw and is healthy. */
export function isSynced(h: ControllerHealth): boolean {
  return h.health === 'healthy' && !h.syncPending;
}

export async function nodeControllers(kr: string, netns: string, controllers: readonly SandboxController[]): Promise<NodeControllers> {
  if (!controllers.length) return {};
  try {
    // kr exits 1 when a controller is unhealthy; its JSON is still the answer.
    const { stdout } = await runTool(['ip', 'netns', 'exec', netns, process.execPath, kr, 'status', '--json', '--timeout=2s'], { okExitCodes: [1], timeoutMs: 15_000 });
    return parseKrStatus(JSON.parse(stdout), controllers);
  } catch (err) {
    const reason = `kr status failed: ${errorMessage(err)}`;
    return Object.fromEntries(controllers.map((c) => [c, { health: 'unknown', syncPending: true, reasons: [reason] }]));
  }
}

/** A node's BGP session with another node of the cluster, as `kr peers --json` shows it. */
export interface NodeSession {
  readonly node: string;
  readonly address: string;
  /** GoBGP's state without the enum prefix: established, active, connect, ... */
  readonly state: string;
  /** When the session entered that state (GoBGP reports whole seconds). */
  readonly since?: string;
}

interface KrPeersJson {
  peers?: { peer?: { node?: string; address?: { ip?: string }; state?: string; stateSince?: string } }[];
}

/** The sessions with other nodes (peers that have a node name) in `kr peers --json`. */
export function parseKrPeers(json: unknown): NodeSession[] {
  return ((json ?? {}) as KrPeersJson).peers?.flatMap(({ peer }) =>
    peer?.node
      ? [{ node: peer.node, address: peer.address?.ip ?? '', state: (peer.state ?? 'unknown').replace(/^BGP_SESSION_STATE_/, '').toLowerCase(), ...(peer.stateSince ? { since: peer.stateSince } : {}) }]
      : [],
  ) ?? [];
}

/** The router's sessions with the other nodes, live from its admin API (through `kr peers`). */
export async function nodeSessions(kr: string, netns: string): Promise<NodeSession[] | string> {
  try {
    const { stdout } = await runTool(['ip', 'netns', 'exec', netns, process.execPath, kr, 'peers', '--json', '--timeout=2s'], { timeoutMs: 15_000 });
    return parseKrPeers(JSON.parse(stdout));
  } catch (err) {
    return `kr peers failed: ${errorMessage(err)}`;
  }
}
