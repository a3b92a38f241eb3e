// `wait`: until every pod is Running and every controller of every node has applied the
// API's latest state. "Latest" is judged the way a test would: the API has been quiet
// (no new resourceVersion) for a moment, then every controller is healthy with no sync
// pending, and the API is still at the same resourceVersion afterwards — so no change
// slipped in between the look at the API and the look at the controllers.
//
// For the router, applying the API's state includes what BGP brings: routes to the other
// nodes' pod CIDRs arrive only once the sessions are up (GoBGP dials a new peer after 5–10
// s). So where the router runs, `wait` also waits until every session with another node
// has been Established for SESSION_SETTLE_MS (the initial UPDATEs are exchanged at once,
// and the router's sync they trigger then shows as pending), before it looks at the
// controllers.
import type { KubeObj, SimulatorClient } from './api.js';
import { isSynced, nodeControllers, nodeSessions, type NodeControllers, type NodeSession } from './controllers.js';
import type { SandboxClusterConfig } from './node/index.js';
import { podPhaseText } from './targets.js';

const QUIET_MS = 1_500;
const POLL_MS = 250;
/** GoBGP reports stateSince in whole seconds: 2 s means at least 1 s. */
export const SESSION_SETTLE_MS = 2_000;

export interface WaitReport {
  readonly ok: boolean;
  readonly ms: number;
  readonly resourceVersion?: string;
  readonly pods: number;
  /** What is not ready yet, one line each (empty when ok). */
  readonly waitingFor: readonly string[];
}

/** Pods that are not Running (or are going away), with why. */
export function podsNotRunning(pods: readonly KubeObj[]): string[] {
  return pods
    .filter((p) => p.metadata?.deletionTimestamp || (p.status as { phase?: string } | undefined)?.phase !== 'Running')
    .map((p) => `pod ${p.metadata?.namespace}/${p.metadata?.name}: ${podPhaseText(p)}`);
}

/** Controllers that are not healthy or still have a sync pending, with why. */
export function controllersNotSynced(byNode: Readonly<Record<string, NodeControllers>>): string[] {
  return Object.entries(byNode).flatMap(([node, controllers]) =>
    Object.entries(controllers)
      .filter(([, h]) => !isSynced(h))
      .map(([c, h]) => `${node}/${c}: ${h.health}${h.syncPending ? ', sync pending' : ''}${h.reasons.length ? ` (${h.reasons.join('; ')})` : ''}`),
  );
}

/** Sessions with other nodes that are not Established, or only just. */
export function sessionsNotSettled(byNode: Readonly<Record<string, readonly NodeSession[] | string>>, now: number): string[] {
  return Object.entries(byNode).flatMap(([node, sessions]) => {
    if (typeof sessions === 'string') return [`${node}/router: ${sessions}`];
    return sessions.flatMap((s) => {
      const peer = `${node}/router: BGP session with ${s.node} (${s.address})`;
      if (s.state !== 'established') return [`${peer} is ${s.state}`];
      const since = s.since ? Date.parse(s.since) : NaN;
      return Number.isNaN(since) || now - since < SESSION_SETTLE_MS ? [`${peer} has only just been established`] : [];
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the API's resourceVersion has not moved for QUIET_MS; returns it. */
async function quietVersion(api: SimulatorClient, deadline: number): Promise<string | undefined> {
  let rv = await api.resourceVersion();
  let since = Date.now();
  while (Date.now() - since < QUIET_MS) {
    if (Date.now() > deadline) return undefined;
    await sleep(POLL_MS);
    const now = await api.resourceVersion();
    if (now !== rv) [rv, since] = [now, Date.now()];
  }
  return rv;
}

export async function waitForSandbox(api: SimulatorClient, cluster: SandboxClusterConfig, kr: string, timeoutMs: number): Promise<WaitReport> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  let waitingFor: string[];
  let pods = 0;
  for (;;) {
    const rv = await quietVersion(api, deadline);
    if (rv !== undefined) {
      const list = await api.list('/api/v1/pods');
      pods = list.items.length;
      waitingFor = podsNotRunning(list.items);
      if (!waitingFor.length && cluster.controllers.includes('router')) {
        const sessions = Object.fromEntries(await Promise.all(cluster.nodes.map(async (n) => [n.name, await nodeSessions(kr, n.netns)] as const)));
        waitingFor = sessionsNotSettled(sessions, Date.now());
      }
      if (!waitingFor.length) {
        const byNode = Object.fromEntries(
          await Promise.all(cluster.nodes.map(async (n) => [n.name, await nodeControllers(kr, n.netns, cluster.controllers)] as const)),
        );
        waitingFor = controllersNotSynced(byNode);
        if (!waitingFor.length) {
          const after = await api.resourceVersion();
          if (after === rv) return { ok: true, ms: Date.now() - started, resourceVersion: rv, pods, waitingFor: [] };
          waitingFor = [`the API changed while the controllers were asked (resourceVersion ${rv} -> ${after})`];
        }
      }
    } else {
      waitingFor = ['the API to be quiet (its resourceVersion keeps changing)'];
    }
    if (Date.now() > deadline) return { ok: false, ms: Date.now() - started, pods, waitingFor };
    await sleep(POLL_MS);
  }
}
