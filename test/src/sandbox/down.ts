// `down`: stops everything the sandbox started and removes everything it made, whatever
// state `up` left (also after a crash, also twice). It finds its processes three ways,
// so none escapes: the pids in cluster.json (checked against their command line, in case
// the pid was reused), every process whose command line names this state directory (the
// simulator and the node agents), and every process inside a krsbx-* namespace. It only
// ever touches krsbx-* namespaces, those processes and the state directory.
import { KrError, errorMessage } from '@kr/errors';
import { runTool } from './exec.js';
import { FABRIC_NETNS } from './plan.js';
import { cmdlineOf, findProcesses, netnsPids, sandboxNamespaces, signal, signalGroup, waitGone } from './processes.js';
import { readClusterConfig, removeSandboxState, type SandboxPaths } from './state.js';

/** Node agents stop their containers with a grace period of their own; give them that long. */
const AGENT_GRACE_MS = 8_000;
const SIMULATOR_GRACE_MS = 3_000;

export interface DownResult {
  readonly processes: number;
  readonly namespaces: readonly string[];
  readonly stateDir: boolean;
}

async function ownPids(paths: SandboxPaths): Promise<{ agents: number[]; simulator: number[] }> {
  const recorded = await readClusterConfig(paths).then(
    (c) => c.pids,
    () => undefined,
  );
  const check = async (pid: number | undefined, marker: string) => {
    const cmd = pid ? await cmdlineOf(pid) : undefined;
    return cmd?.some((a) => a.includes(marker)) ? [pid!] : [];
  };
  const agentMarker = 'sandbox/node/main.js';
  const agents = new Set([
    ...(await Promise.all(Object.values(recorded?.agents ?? {}).map((pid) => check(pid, agentMarker)))).flat(),
    ...(await findProcesses([agentMarker, paths.clusterJson])),
  ]);
  const simulator = new Set([...(await check(recorded?.apiserver, 'kr-apiserver')), ...(await findProcesses(['kr-apiserver', paths.apiSocket]))]);
  return { agents: [...agents], simulator: [...simulator] };
}

/** Pods first, then hosts, the fabric last: the order links were made in, reversed. */
function deleteOrder(namespaces: readonly string[]): string[] {
  const rank = (n: string) => (n === FABRIC_NETNS ? 2 : n.startsWith('krsbx-p-') ? 0 : 1);
  return [...namespaces].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export async function down(paths: SandboxPaths, progress: (line: string) => void): Promise<DownResult> {
  const { agents, simulator } = await ownPids(paths);
  const stopped = new Set<number>();

  // 1. The node agents stop their containers and pod servers themselves (SIGTERM to the group).
  if (agents.length) progress(`stopping ${agents.length} node agent(s)`);
  for (const pid of agents) signalGroup(pid, 'SIGTERM');
  for (const pid of await waitGone(agents, AGENT_GRACE_MS)) signalGroup(pid, 'SIGKILL');
  agents.forEach((p) => stopped.add(p));

  // 2. Whatever still runs in a sandbox namespace (a container that outlived its agent, a
  //    pod server, a probe) is killed; repeat until the namespaces are empty.
  let namespaces = await sandboxNamespaces();
  for (let round = 0; round < 10; round++) {
    const pids = [...new Set((await Promise.all(namespaces.map((n) => netnsPids(n).catch(() => [] as number[])))).flat())];
    if (!pids.length) break;
    for (const pid of pids) {
      signal(pid, 'SIGKILL');
      stopped.add(pid);
    }
    await waitGone(pids, 2_000);
  }

  // 3. The simulator (it saves its snapshot on the way out; the file goes with the state dir).
  for (const pid of simulator) signal(pid, 'SIGTERM');
  for (const pid of await waitGone(simulator, SIMULATOR_GRACE_MS)) signal(pid, 'SIGKILL');
  await waitGone(simulator, 1_000);
  simulator.forEach((p) => stopped.add(p));

  // 4. The namespaces: deleting one removes its links (veths take their peers along).
  namespaces = await sandboxNamespaces();
  if (namespaces.length) progress(`deleting ${namespaces.length} network namespace(s)`);
  const deleted: string[] = [];
  const failures: string[] = [];
  for (const netns of deleteOrder(namespaces)) {
    try {
      await runTool(['ip', 'netns', 'delete', netns]);
      deleted.push(netns);
    } catch (err) {
      failures.push(errorMessage(err));
    }
  }

  const hadState = await removeSandboxState(paths);
  if (failures.length) throw new KrError(`down could not delete every namespace (run it again):\n  ${failures.join('\n  ')}`);
  return { processes: stopped.size, namespaces: deleted, stateDir: hadState };
}
