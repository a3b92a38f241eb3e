import { ConfigError } from '@kr/errors';
import { describe, expect, it } from 'vitest';
import { isLoopback, parseAdminAddress } from './address.js';

// Test IP plan: loopbacks 127.0.0.1 and ::1; documentation ranges 192.0.2.0/24 and
// 2001:db8::/32 for non-loopback rows. Nothing here opens a socket.

describe('parseAdminAddress', () => {
  it.each([
    { input: '127.0.0.1:50061', host: '127.0.0.1', port: 50061, family: 4, target: '127.0.0.1:50061', loopback: true },
    { input: '[::1]:50061', host: '::1', port: 50061, family: 6, target: '[::1]:50061', loopback: true },
    { input: '[::1]:0', host: '::1', port: 0, family: 6, target: '[::1]:0', loopback: true },
    { input: '127.0.0.1:0', host: '127.0.0.1', port: 0, family: 4, target: '127.0.0.1:0', loopback: true },
    { input: '50061', host: '127.0.0.1', port: 50061, family: 4, target: '127.0.0.1:50061', loopback: true },
    { input: ':50061', host: '127.0.0.1', port: 50061, family: 4, target: '127.0.0.1:50061', loopback: true },
    { input: ' 192.0.2.10:9000 ', host: '192.0.2.10', port: 9000, family: 4, target: '192.0.2.10:9000', loopback: false },
    { input: '[2001:db8::10]:9000', host: '2001:db8::10', port: 9000, family: 6, target: '[2001:db8::10]:9000', loopback: false },
    { input: '[::ffff:127.0.0.1]:9000', host: '::ffff:127.0.0.1', port: 9000, family: 6, target: '[::ffff:127.0.0.1]:9000', loopback: true },
    { input: '[::]:9000', host: '::', port: 9000, family: 6, target: '[::]:9000', loopback: false },
    { input: '0.0.0.0:9000', host: '0.0.0.0', port: 9000, family: 4, target: '0.0.0.0:9000', loopback: false },
    { input: 'localhost:9000', host: 'localhost', port: 9000, family: 0, target: 'localhost:9000', loopback: true },
    { input: 'node-1.example:9000', host: 'node-1.example', port: 9000, family: 0, target: 'node-1.example:9000', loopback: false },
  ])('$input', ({ input, loopback, ...expected }) => {
    const address = parseAdminAddress(input);
    expect(address).toEqual(expected);
    expect(isLoopback(address)).toBe(loopback);
  });

  it.each([
    { input: '', reason: /empty/ },
    { input: '::1:50061', reason: /brackets/ },
    { input: '2001:db8::1', reason: /brackets/ },
    { input: '[127.0.0.1]:80', reason: /not an IPv6/ },
    { input: '[::1]', reason: /no port/ },
    { input: '[::1]:', reason: /form/ },
    { input: '127.0.0.1', reason: /no port/ },
    { input: '127.0.0.1:65536', reason: /not a port/ },
    { input: '127.0.0.1:-1', reason: /not a port/ },
    { input: ':', reason: /empty host|not a port/ },
    { input: 'bad host:80', reason: /neither an IP/ },
    { input: '70000', reason: /not a port/ },
  ])('refuses $input', ({ input, reason }) => {
    let thrown: unknown;
    try {
      parseAdminAddress(input, '--admin-address');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).flag).toBe('--admin-address');
    expect((thrown as ConfigError).reason).toMatch(reason);
  });
});
