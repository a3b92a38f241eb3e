import { describe, expect, it } from 'vitest';
import { V8_FLAG_PROFILES, v8Flags } from './v8-flags.js';

describe('v8Flags', () => {
  it.each([
    ['lean', {}, ['--max-semi-space-size=1', '--optimize-for-size', '--jitless']],
    ['compute', {}, ['--max-semi-space-size=1', '--optimize-for-size', '--no-opt']],
    ['lean', { KR_NODE_FLAGS: '--max-semi-space-size=4  --no-opt' }, ['--max-semi-space-size=4', '--no-opt']],
    ['compute', { KR_NODE_FLAGS: '' }, []],
  ] as const)('%s with %j', (profile, env, want) => {
    expect(v8Flags(profile, env)).toEqual(want);
  });

  it('every profile keeps the young generation small and the heap growing in small steps', () => {
    for (const flags of Object.values(V8_FLAG_PROFILES)) {
      expect(flags).toContain('--max-semi-space-size=1');
      expect(flags).toContain('--optimize-for-size');
    }
  });

  it('hands back a copy, never the profile itself', () => {
    const flags = v8Flags('lean', {});
    flags.push('--x');
    expect(V8_FLAG_PROFILES.lean).not.toContain('--x');
  });
});
