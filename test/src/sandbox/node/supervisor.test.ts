// The container supervisor with real processes (sh, sleep): restart always with a
// growing back-off, logs appended to one file per container, stop with SIGTERM then
// SIGKILL. No network is involved.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@kr/observability';
import { ContainerSet } from './containers.js';
import { Supervisor, type ProcessState } from './supervisor.js';
import { eventually } from './testing/fixtures.js';

const log = createLogger({ name: 'supervisor-test', level: 'silent' }).logger;
const FAST = { initialDelayMs: 100, maxDelayMs: 400, resetAfterMs: 10_000 };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('Supervisor', () => {
  let dir: string;
  const running: Supervisor[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kr-sandbox-supervisor-'));
  });

  afterAll(async () => {
    await Promise.all(running.map((s) => s.stop(500)));
    await rm(dir, { recursive: true, force: true });
  });

  function supervise(name: string, argv: string[], onChange?: (s: ProcessState) => void): Supervisor {
    const s = new Supervisor({ name, argv, logFile: join(dir, `${name}.log`) }, { log, policy: FAST, ...(onChange ? { onChange } : {}) });
    running.push(s);
    return s;
  }

  it('restarts a container that exits, with a doubling back-off, appending to its log', async () => {
    const starts: number[] = [];
    const s = supervise('crasher', ['sh', '-c', 'echo "run $$"; exit 3'], (state) => state.running && starts.push(Date.now()));
    await s.start();
    await eventually('four runs', () => (s.state().restarts >= 3 ? true : undefined), 10_000);
    await s.stop();
    expect(s.state().lastExit).toMatchObject({ code: 3, signal: null });
    const runs = (await readFile(join(dir, 'crasher.log'), 'utf8')).trim().split('\n');
    expect(runs.length).toBeGreaterThanOrEqual(4);
    expect(new Set(runs).size).toBe(runs.length); // a new process (pid) each time
    const gaps = starts.slice(1, 4).map((t, i) => t - starts[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(90);
    expect(gaps[1]).toBeGreaterThanOrEqual(190);
    expect(gaps[2]).toBeGreaterThanOrEqual(390);
  });

  it('brings back a container that was killed, as a new process', async () => {
    const s = supervise('sleeper', ['sleep', '1000']);
    await s.start();
    const first = s.state().pid!;
    process.kill(first, 'SIGKILL');
    const second = await eventually('a new process', () => {
      const state = s.state();
      return state.running && state.pid !== first ? state : undefined;
    });
    expect(second.restarts).toBe(1);
    expect(second.lastExit?.signal).toBe('SIGKILL');
    await s.stop();
    expect(alive(second.pid!)).toBe(false);
  });

  it('stops with SIGTERM, and with SIGKILL after the grace period when SIGTERM is ignored', async () => {
    const polite = supervise('polite', ['sleep', '1000']);
    const stubborn = supervise('stubborn', ['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 0.05; done']);
    await Promise.all([polite.start(), stubborn.start()]);
    await eventually('the trap', async () => ((await readFile(join(dir, 'stubborn.log'), 'utf8')).includes('ready') ? true : undefined));
    const started = Date.now();
    await polite.stop(5_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(polite.state().lastExit?.signal).toBe('SIGTERM');
    const before = Date.now();
    await stubborn.stop(300);
    expect(Date.now() - before).toBeGreaterThanOrEqual(290);
    expect(stubborn.state().lastExit?.signal).toBe('SIGKILL');
    expect(stubborn.state().restarts).toBe(0);
  });

  it('keeps retrying a command that cannot be started', async () => {
    const s = supervise('missing', ['/nonexistent/kr-sandbox-binary']);
    await s.start(); // the first attempt counts: the node must not hang on one container
    await eventually('retries', () => (s.state().restarts >= 2 ? true : undefined), 5_000);
    expect(s.state().running).toBe(false);
    await s.stop();
  });
});

describe('ContainerSet', () => {
  it('starts all containers and stops them all at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kr-sandbox-containers-'));
    try {
      const set = new ContainerSet(
        ['a', 'b', 'c'].map((name) => ({ name: name as 'nats', argv: ['sh', '-c', `echo ${name} $KR_TEST_VALUE; exec sleep 1000`], env: { KR_TEST_VALUE: `v-${name}` }, logFile: join(dir, `${name}.log`) })),
        { log, policy: FAST },
      );
      await set.start();
      const pids = set.states().map((s) => s.pid!);
      expect(pids.every(alive)).toBe(true);
      await eventually('the logs', async () => ((await readFile(join(dir, 'c.log'), 'utf8')) === 'c v-c\n' ? true : undefined));
      await set.stop(1_000);
      expect(pids.some(alive)).toBe(false);
      expect(set.states().every((s) => !s.running)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
