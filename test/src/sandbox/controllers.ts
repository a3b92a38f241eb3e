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
