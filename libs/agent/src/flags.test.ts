import { describe, expect, it } from 'vitest';
import { ConfigError } from '@kr/errors';
import { commonFlagSpecs } from './common-flags.js';
import { formatHelp, parseDuration, parseFlags, type FlagSpec } from './flags.js';

const specs = [
  { name: 'enable-ipv6', type: 'bool', default: false, help: 'v6' },
  { name: 'metrics-port', type: 'int', default: 0, min: 0, max: 65535, help: 'port' },
  { name: 'routes-sync-period', type: 'duration', default: 300_000, help: 'period' },
  { name: 'peer-router-ips', type: 'strings', default: [], help: 'ips' },
  { name: 'peer-router-asns', type: 'ints', default: [], min: 1, max: 4294967295, help: 'asns' },
  { name: 'v', short: 'v', type: 'string', default: '0', help: 'verbosity' },
] as const satisfies readonly FlagSpec[];

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['300ms', 300],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['1m30s', 90_000],
  ])('%s → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', '5', 'five minutes', '5x', '-1s', '1m 30s'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(/not a duration/);
  });
});

describe('parseFlags', () => {
  const ok = (argv: string[]) => {
    const r = parseFlags(specs, argv);
    if (r.kind !== 'run') throw new Error(`expected run, got ${r.kind}`);
    return r;
  };

  it('keeps defaults', () => {
    const r = ok([]);
    expect(r.values).toEqual({
      'enable-ipv6': false,
      'metrics-port': 0,
      'routes-sync-period': 300_000,
      'peer-router-ips': [],
      'peer-router-asns': [],
      v: '0',
    });
    expect(r.explicit.size).toBe(0);
  });

  it.each([
    { argv: ['--enable-ipv6'], key: 'enable-ipv6', want: true },
    { argv: ['--enable-ipv6=false'], key: 'enable-ipv6', want: false },
    { argv: ['--enable-ipv6=T'], key: 'enable-ipv6', want: true },
    { argv: ['--metrics-port', '8080'], key: 'metrics-port', want: 8080 },
    { argv: ['--metrics-port=9090'], key: 'metrics-port', want: 9090 },
    { argv: ['--routes-sync-period=1m'], key: 'routes-sync-period', want: 60_000 },
    { argv: ['--peer-router-ips=198.18.0.1,2001:db8::1'], key: 'peer-router-ips', want: ['198.18.0.1', '2001:db8::1'] },
    { argv: ['--peer-router-ips=198.18.0.1', '--peer-router-ips', '2001:db8::1'], key: 'peer-router-ips', want: ['198.18.0.1', '2001:db8::1'] },
    { argv: ['--peer-router-asns=64512,4200000000'], key: 'peer-router-asns', want: [64512, 4200000000] },
    { argv: ['-v', '3'], key: 'v', want: '3' },
    { argv: ['--v=5'], key: 'v', want: '5' },
  ])('$argv', ({ argv, key, want }) => {
    const r = ok(argv);
    expect((r.values as Record<string, unknown>)[key]).toEqual(want);
    expect(r.explicit.has(key)).toBe(true);
  });

  it.each([
    { argv: ['--no-such-flag'], flag: '--no-such-flag', reason: /unknown flag/ },
    { argv: ['--metrics-port=http'], flag: '--metrics-port', reason: /not an integer/ },
    { argv: ['--metrics-port=70000'], flag: '--metrics-port', reason: /above the maximum 65535/ },
    { argv: ['--enable-ipv6=maybe'], flag: '--enable-ipv6', reason: /not a boolean/ },
    { argv: ['--routes-sync-period=soon'], flag: '--routes-sync-period', reason: /not a duration/ },
    { argv: ['--peer-router-asns=0'], flag: '--peer-router-asns', reason: /below the minimum 1/ },
    { argv: ['--metrics-port'], flag: '--metrics-port', reason: /needs a value/ },
    { argv: ['stray'], flag: 'stray', reason: /unexpected argument/ },
  ])('rejects $argv naming $flag', ({ argv, flag, reason }) => {
    let caught: unknown;
    try {
      parseFlags(specs, argv);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).flag).toBe(flag);
    expect((caught as ConfigError).message).toMatch(reason);
  });

  it('recognises help and version', () => {
    expect(parseFlags(specs, ['--metrics-port=1', '--help']).kind).toBe('help');
    expect(parseFlags(specs, ['-h']).kind).toBe('help');
    expect(parseFlags(specs, ['-V']).kind).toBe('version');
  });

  it('formats help with every flag and its default', () => {
    const help = formatHelp('kr-test [flags]', 'A test binary.', specs);
    expect(help).toContain('--routes-sync-period duration');
    expect(help).toContain('(default 5m)');
    expect(help).toContain('-v, --v string');
    expect(help).toContain('-h, --help');
  });
});

describe('common flags', () => {
  it.each(['cni', 'router', 'proxy', 'firewall'] as const)('%s: defaults parse and checks run', (c) => {
    const r = parseFlags(commonFlagSpecs(c), []);
    expect(r.kind).toBe('run');
    expect(() => parseFlags(commonFlagSpecs(c), ['--metrics-path=metrics'])).toThrow(/--metrics-path: must start with \//);
    expect(() => parseFlags(commonFlagSpecs(c), ['--log-level=loud'])).toThrow(/--log-level/);
  });
});
