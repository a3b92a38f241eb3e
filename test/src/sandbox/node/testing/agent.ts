// Runs the built node agent the way `kr-sandbox up` does: inside the node's namespace
// with `ip netns exec`, in its own process group, stdout and stderr to agent.log.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { openSync, closeSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SandboxAgentStatus, SandboxClusterConfig } from '../cluster-config.js';
import { sandboxNodePaths } from '../paths.js';
import { eventually } from './fixtures.js';

export interface RunningAgent {
  readonly child: ChildProcess;
  readonly logFile: string;
  readonly agentJson: string;
  /** Exit code (or signal) once it has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  status(): Promise<SandboxAgentStatus | undefined>;
  /** Waits for agent.json to satisfy `ok`. */
  waitFor(what: string, ok: (s: SandboxAgentStatus) => boolean, timeoutMs?: number): Promise<SandboxAgentStatus>;
  log(): Promise<string>;
  /** SIGTERM, then SIGKILL of the whole group if it has not exited in time. */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function writeClusterConfig(path: string, config: SandboxClusterConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`);
}

export async function startAgent(agentMain: string, configPath: string, config: SandboxClusterConfig, node: string): Promise<RunningAgent> {
  const host = config.nodes.find((n) => n.name === node)!;
  const paths = sandboxNodePaths(config.stateDir, node);
  await mkdir(paths.dir, { recursive: true });
  const fd = openSync(paths.agentLog, 'a');
  const child = spawn('ip', ['netns', 'exec', host.netns, process.execPath, agentMain, '--config', configPath, '--node', node], {
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  const status = async () => {
    try {
      return JSON.parse(await readFile(paths.agentJson, 'utf8')) as SandboxAgentStatus;
    } catch {
      return undefined;
    }
  };
  const log = () => readFile(paths.agentLog, 'utf8').catch(() => '');
  return {
    child,
    logFile: paths.agentLog,
    agentJson: paths.agentJson,
    exited,
    status,
    log,
    async waitFor(what, ok, timeoutMs = 20_000) {
      return eventually(what, async () => {
        if (child.exitCode !== null) throw new Error(`the agent exited ${child.exitCode}:\n${await log()}`);
        const s = await status();
        return s && ok(s) ? s : undefined;
      }, timeoutMs).catch(async (err: unknown) => {
        throw new Error(`${String(err)}\nagent log:\n${await log()}`);
      });
    },
    async stop(timeoutMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            // Gone already.
          }
        }, timeoutMs);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
