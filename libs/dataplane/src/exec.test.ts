import { describe, expect, it } from 'vitest';
import { DataplaneError } from '@kr/errors';
import { failingLineOf, inNetns, runTool } from './exec.js';

// No addresses here: these tests run harmless userland commands (cat, sh -c exit) to
// exercise the process plumbing; kernel tools are tested in their own files.

describe('inNetns', () => {
  it.each([
    { argv: ['nft', '-f', '-'], netns: undefined, want: ['nft', '-f', '-'] },
    { argv: ['nft', '-f', '-'], netns: 'kr-test-1', want: ['ip', 'netns', 'exec', 'kr-test-1', 'nft', '-f', '-'] },
    { argv: ['ip', '-j', 'link'], netns: 'kr-test-1', want: ['ip', '-n', 'kr-test-1', '-j', 'link'] },
    { argv: ['ipset', 'save'], netns: 'ns_2.b', want: ['ip', 'netns', 'exec', 'ns_2.b', 'ipset', 'save'] },
  ])('$argv in $netns', ({ argv, netns, want }) => {
    expect(inNetns(argv, netns)).toEqual(want);
  });

  it.each(['-n', '', 'a b', '../x', 'x;y'])('rejects namespace name %j', (netns) => {
    expect(() => inNetns(['nft'], netns)).toThrow(DataplaneError);
  });
});

describe('failingLineOf', () => {
  const input = 'first\nsecond\nthird';
  it.each([
    { n: 1, want: { number: 1, text: 'first' } },
    { n: 3, want: { number: 3, text: 'third' } },
    { n: 4, want: undefined },
    { n: 0, want: undefined },
    { n: undefined, want: undefined },
  ])('line $n', ({ n, want }) => {
    expect(failingLineOf(input, n)).toEqual(want);
  });
});

describe('runTool', () => {
  it('feeds stdin and captures stdout', async () => {
    const result = await runTool(['cat'], { input: 'hello\nworld\n' });
    expect(result).toMatchObject({ stdout: 'hello\nworld\n', exitCode: 0, command: ['cat'] });
  });

  it('fails with DataplaneError carrying command, exit code, stderr and the failing line', async () => {
    const input = 'a\nb\nc\n';
    const err = await runTool(['sh', '-c', 'cat >/dev/null; echo "boom at line 2" >&2; exit 3'], {
      input,
      failingLineNumber: (stderr) => Number(/line (\d+)/.exec(stderr)?.[1]),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataplaneError);
    const e = err as DataplaneError;
    expect(e.exitCode).toBe(3);
    expect(e.stderr).toBe('boom at line 2\n');
    expect(e.failingLine).toEqual({ number: 2, text: 'b' });
    expect(e.command[0]).toBe('sh');
    expect(e.message).toContain('at input line 2: b');
  });

  it('accepts listed exit codes', async () => {
    const result = await runTool(['sh', '-c', 'exit 1'], { okExitCodes: [1] });
    expect(result.exitCode).toBe(1);
  });

  it('kills the tool on timeout and says so', async () => {
    const started = Date.now();
    const err = (await runTool(['sleep', '10'], { timeoutMs: 100 }).catch((e: unknown) => e)) as DataplaneError;
    expect(err).toBeInstanceOf(DataplaneError);
    expect(err.exitCode).toBeNull();
    expect(err.stderr).toContain('killed after a timeout of 100 ms');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reports a missing binary with the spawn error as cause', async () => {
    const err = (await runTool(['kr-no-such-binary-xyz']).catch((e: unknown) => e)) as DataplaneError;
    expect(err).toBeInstanceOf(DataplaneError);
    expect(err.exitCode).toBeNull();
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('survives a tool that exits without reading a large input', async () => {
    const input = 'x'.repeat(4 * 1024 * 1024);
    const err = (await runTool(['sh', '-c', 'echo nope >&2; exit 2'], { input }).catch((e: unknown) => e)) as DataplaneError;
    expect(err).toBeInstanceOf(DataplaneError);
    expect(err.exitCode).toBe(2);
    expect(err.stderr).toBe('nope\n');
  });
});
