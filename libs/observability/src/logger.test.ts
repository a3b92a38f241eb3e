import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, isLogLevel, levelFromVerbosity } from './logger.js';
import type { LogLevel } from './logger.js';

// No addresses in this file: logging is family-agnostic.

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const lines = (): Record<string, unknown>[] =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, lines };
}

describe('createLogger', () => {
  it('writes JSON lines naming the controller, node and module', () => {
    const out = capture();
    const root = createLogger({ name: 'firewall', node: 'node-a', destination: out.stream });
    root.child('policy').info({ policies: 3 }, 'synced');
    const [line] = out.lines();
    expect(line).toMatchObject({ level: 'info', name: 'firewall', node: 'node-a', module: 'policy', policies: 3, msg: 'synced' });
    expect(typeof line?.time).toBe('string');
  });

  it('returns the same child for the same module', () => {
    const root = createLogger({ name: 'proxy', destination: capture().stream });
    expect(root.child('services')).toBe(root.child('services'));
  });

  it('sets levels per module and for the whole process', () => {
    const out = capture();
    const root = createLogger({ name: 'router', level: 'info', destination: out.stream });
    const bgp = root.child('bgp');
    const routes = root.child('routes');

    expect(root.setLevel('debug', 'bgp')).toBe('info');
    bgp.debug('bgp detail');
    routes.debug('routes detail');
    expect(out.lines().map((l) => l.msg)).toEqual(['bgp detail']);
    expect(root.level('bgp')).toBe('debug');
    expect(root.level('routes')).toBe('info');
    expect(root.level()).toBe('info');

    // A module configured before it exists gets its level on creation.
    expect(root.setLevel('trace', 'tunnels')).toBe('info');
    root.child('tunnels').trace('tunnel detail');
    expect(out.lines().at(-1)?.msg).toBe('tunnel detail');

    // The whole process: every module follows, overrides included.
    expect(root.setLevel('warn')).toBe('info');
    for (const module of ['bgp', 'routes', 'tunnels', 'later']) expect(root.level(module)).toBe('warn');
    const before = out.lines().length;
    bgp.info('hidden');
    root.child('later').info('hidden too');
    root.logger.warn('shown');
    expect(out.lines().slice(before).map((l) => l.msg)).toEqual(['shown']);

    expect(root.setLevel('silent', 'bgp')).toBe('warn');
    bgp.fatal('silenced');
    expect(out.lines().at(-1)?.msg).toBe('shown');
  });

  it('serialises the cause chain of errors', () => {
    const out = capture();
    const root = createLogger({ name: 'cni', destination: out.stream });
    const cause = new Error('EACCES');
    root.logger.error({ err: new Error('write conflist', { cause }) }, 'sync failed');
    const err = out.lines()[0]?.err as { message: string; cause: { message: string } };
    expect(err.message).toBe('write conflist');
    expect(err.cause.message).toBe('EACCES');
  });
});

describe('levelFromVerbosity', () => {
  const table: [number, LogLevel][] = [
    [0, 'info'],
    [1, 'info'],
    [2, 'info'],
    [3, 'debug'],
    [4, 'debug'],
    [5, 'trace'],
    [10, 'trace'],
  ];
  it.each(table)('--v=%i → %s', (v, level) => expect(levelFromVerbosity(v)).toBe(level));
});

describe('isLogLevel', () => {
  it.each([
    ['debug', true],
    ['silent', true],
    ['verbose', false],
    ['', false],
  ] as const)('%j → %s', (value, expected) => expect(isLogLevel(value)).toBe(expected));
});
