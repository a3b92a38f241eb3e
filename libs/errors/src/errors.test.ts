import { describe, expect, it } from 'vitest';
import { ConfigError, DataplaneError, KrError, ObjectInputError } from './index.js';

describe('errors', () => {
  it('names subclasses and keeps the cause', () => {
    const cause = new Error('root');
    const e = new ConfigError('--metrics-port', 'not a port', { cause });
    expect(e).toBeInstanceOf(KrError);
    expect(e.name).toBe('ConfigError');
    expect(e.cause).toBe(cause);
    expect(e.message).toBe('--metrics-port: not a port');
  });
  it('dataplane errors carry the command, code, stderr and failing line', () => {
    const e = new DataplaneError(['nft', '-f', '-'], 1, '/dev/stdin:3:1-3: Error: syntax error\n', { number: 3, text: 'bad' });
    expect(e.message).toBe('nft -f - exited 1 at input line 3: bad: /dev/stdin:3:1-3: Error: syntax error');
    expect(e.exitCode).toBe(1);
  });
  it('object input errors name the object and field', () => {
    const e = new ObjectInputError('Node', 'node-a', 'kube-router.io/peer.asns', 'not a number');
    expect(e.message).toBe('Node node-a: kube-router.io/peer.asns: not a number');
  });
});
