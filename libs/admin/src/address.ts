import { isIP } from 'node:net';
import { ConfigError } from '@kr/errors';

/** Where admin servers listen when an operator gives only a port. */
export const DEFAULT_ADMIN_HOST = '127.0.0.1';

export interface AdminAddress {
  /** Host without brackets: an IPv4 or IPv6 literal, or a name such as `localhost`. */
  readonly host: string;
  readonly port: number;
  /** 4 or 6 for IP literals, 0 for names. */
  readonly family: 0 | 4 | 6;
  /** `host:port` as gRPC wants it, with brackets around IPv6 literals. */
  readonly target: string;
}

/**
 * Parses an admin listen/dial address: `host:port`, `[v6]:port`, or a bare `port` /
 * `:port` meaning the IPv4 loopback. A bare IPv6 literal with a port (`::1:50051`) is
 * refused rather than guessed at, because the split is ambiguous.
 */
export function parseAdminAddress(input: string, flag = 'admin address'): AdminAddress {
  const text = input.trim();
  if (text === '') throw new ConfigError(flag, 'empty address');
  if (/^:?\d+$/.test(text)) return build(DEFAULT_ADMIN_HOST, parsePort(text.replace(/^:/, ''), flag));

  let host: string;
  let portText: string;
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2]!;
    if (isIP(host) !== 6) throw new ConfigError(flag, `${JSON.stringify(host)} in brackets is not an IPv6 address`);
  } else if (text.startsWith('[')) {
    const why = /^\[[^\]]*\]$/.test(text) ? 'has no port' : 'is not of the form [ipv6]:port';
    throw new ConfigError(flag, `${JSON.stringify(text)} ${why}`);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) throw new ConfigError(flag, `${JSON.stringify(text)} has no port; use host:port, [ipv6]:port or a port`);
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) {
      throw new ConfigError(flag, `${JSON.stringify(text)}: put IPv6 addresses in brackets, e.g. [::1]:50051`);
    }
    if (host === '') throw new ConfigError(flag, `${JSON.stringify(text)} has an empty host`);
    if (isIP(host) === 0 && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host)) {
      throw new ConfigError(flag, `${JSON.stringify(host)} is neither an IP address nor a host name`);
    }
  }
  return build(host, parsePort(portText, flag));
}

/** Whether the address only accepts connections from this host. */
export function isLoopback(address: AdminAddress): boolean {
  if (address.family === 4) return address.host.startsWith('127.');
  if (address.family === 6) return address.host === '::1' || /^::ffff:127\./i.test(address.host);
  return address.host === 'localhost';
}

function parsePort(text: string, flag: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new ConfigError(flag, `${JSON.stringify(text)} is not a port (0-65535)`);
  return port;
}

/** `host:port`, bracketing IPv6 literals. */
export function formatAdminAddress(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

function build(host: string, port: number): AdminAddress {
  return { host, port, family: isIP(host) as 0 | 4 | 6, target: formatAdminAddress(host, port) };
}
