// Where a node's files live under the state directory. The CLI and the node agent both
// use this, so the layout is spelt once.
import { join } from 'node:path';

export interface SandboxNodePaths {
  /** `<stateDir>/nodes/<node>` */
  readonly dir: string;
  /** Container logs: `logs/<container>.log`. */
  readonly logsDir: string;
  /** The node's CNI config dir (the cni controller writes the conflist here). */
  readonly cniConfDir: string;
  /** What the cni controller gets as `--cni-conf-file`. */
  readonly cniConfFile: string;
  /** host-local IPAM's dataDir (forced, so nothing is written to /var/lib/cni). */
  readonly cniDataDir: string;
  /** nats-server's `--store_dir`. */
  readonly natsDir: string;
  /** Pod server logs: `pods/<namespace>_<name>_<uid>.log`. */
  readonly podLogsDir: string;
  /** `agent.json`: {pid, ready}, written when the agent is up. */
  readonly agentJson: string;
  /** Where the CLI sends the agent's stdout and stderr. */
  readonly agentLog: string;
}

export function sandboxNodePaths(stateDir: string, node: string): SandboxNodePaths {
  const dir = join(stateDir, 'nodes', node);
  const cniConfDir = join(dir, 'cni', 'net.d');
  return {
    dir,
    logsDir: join(dir, 'logs'),
    cniConfDir,
    cniConfFile: join(cniConfDir, '10-kuberouter.conflist'),
    cniDataDir: join(dir, 'cni', 'data'),
    natsDir: join(dir, 'nats'),
    podLogsDir: join(dir, 'pods'),
    agentJson: join(dir, 'agent.json'),
    agentLog: join(dir, 'agent.log'),
  };
}

/** `logs/<container>.log` of a node. */
export function containerLogPath(paths: SandboxNodePaths, container: string): string {
  return join(paths.logsDir, `${container}.log`);
}
