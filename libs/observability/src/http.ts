// The /metrics and /healthz endpoints, on node:http.
//
// kube-router serves them on separate ports (`--metrics-port`, `--health-port`) and treats
// port 0 as "disabled". Here a disabled endpoint is an omitted option, and port 0 means
// what it means to the kernel: an ephemeral port (tests rely on it). Config code maps
// kube-router's `--metrics-port=0` to omitting `metrics`. Two endpoints given the same
// non-zero port share one server.
import type http from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { HealthTracker } from './health.js';

export const DEFAULT_METRICS_PATH = '/metrics';
export const DEFAULT_HEALTH_PATH = '/healthz';
/** kube-router's `--health-port` default. */
export const DEFAULT_HEALTH_PORT = 20244;

export interface HttpEndpointsOptions {
  /** Address to bind; every address (dual-stack `::` where the host has IPv6) when omitted. */
  host?: string;
  metrics?: { port: number; path?: string; registry: Registry };
  health?: { port: number; path?: string; tracker: HealthTracker };
  log?: Logger;
}

export interface EndpointAddress {
  host: string;
  port: number;
}

export interface HttpEndpoints {
  readonly addresses: { metrics?: EndpointAddress; health?: EndpointAddress };
  close(): Promise<void>;
}

/**
 * node:http through require(), never `import`: to build an ES module namespace for a
 * CommonJS built-in, Node reads every export, and node:http's lazy getters (its
 * WebSocket and fetch classes) then load the bundled undici: ~9.5 MB RSS in every
 * controller for code nothing here calls. libs/k8s's transport does the same.
 */
const { createServer } = createRequire(import.meta.url)('node:http') as typeof http;

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/** Starts the enabled endpoints; rejects with the listen error (e.g. EADDRINUSE). */
export async function startHttpEndpoints(options: HttpEndpointsOptions): Promise<HttpEndpoints> {
  const { metrics, health, log } = options;
  const groups: { port: number; routes: Map<string, Route>; serves: ('metrics' | 'health')[] }[] = [];
  const add = (kind: 'metrics' | 'health', port: number, path: string, route: Route): void => {
    const shared = port === 0 ? undefined : groups.find((g) => g.port === port);
    const group = shared ?? { port, routes: new Map<string, Route>(), serves: [] };
    if (!shared) groups.push(group);
    group.routes.set(path, route);
    group.serves.push(kind);
  };
  if (metrics) add('metrics', metrics.port, metrics.path ?? DEFAULT_METRICS_PATH, metricsRoute(metrics.registry));
  if (health) add('health', health.port, health.path ?? DEFAULT_HEALTH_PATH, healthRoute(health.tracker));

  const servers: Server[] = [];
  const addresses: { metrics?: EndpointAddress; health?: EndpointAddress } = {};
  try {
    for (const group of groups) {
      const server = createServer((req, res) => void dispatch(group.routes, req, res, log));
      // kube-router sets ReadHeaderTimeout 5s; a scraper that stalls must not pin sockets.
      server.headersTimeout = 5_000;
      server.requestTimeout = 30_000;
      servers.push(server);
      const address = await listen(server, group.port, options.host);
      for (const kind of group.serves) addresses[kind] = address;
      // An unhandled 'error' event would kill the process; after listen() it can only be
      // an accept failure (e.g. EMFILE), which the next scrape retries.
      server.on('error', (err) => log?.error({ err, port: address.port }, 'http endpoint server error'));
    }
  } catch (err) {
    await closeAll(servers);
    throw err;
  }
  return { addresses, close: () => closeAll(servers) };
}

async function dispatch(routes: Map<string, Route>, req: IncomingMessage, res: ServerResponse, log?: Logger): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const route = routes.get(path);
  if (!route) return text(res, 404, 'not found\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return text(res, 405, 'method not allowed\n');
  }
  try {
    await route(req, res);
  } catch (err) {
    log?.error({ err, path }, 'http endpoint failed');
    if (!res.headersSent) text(res, 500, 'internal error\n');
    else res.destroy();
  }
}

function metricsRoute(registry: Registry): Route {
  return async (req, res) => {
    const body = await registry.metrics();
    res.writeHead(200, { 'Content-Type': registry.contentType });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

function healthRoute(tracker: HealthTracker): Route {
  return (req, res) => {
    const stale = tracker.stale();
    // kube-router answers 500 "Unhealthy"; 503 says the same to a probe and names the loops.
    const [status, body] =
      stale.length === 0
        ? [200, 'OK\n']
        : [
            503,
            `unhealthy: ${stale
              .map((l) => `${l.name} last beat ${(l.ageMs / 1000).toFixed(1)}s ago (allowed ${(l.deadlineMs / 1000).toFixed(1)}s)`)
              .join('; ')}\n`,
          ];
    text(res, status, req.method === 'HEAD' ? '' : body);
  };
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(body);
}

function listen(server: Server, port: number, host: string | undefined): Promise<EndpointAddress> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ port, ...(host === undefined ? {} : { host }) }, () => {
      server.off('error', onError);
      const address = server.address() as AddressInfo;
      resolve({ host: address.address, port: address.port });
    });
  });
}

function closeAll(servers: Server[]): Promise<void> {
  return Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          if (!server.listening) return resolve();
          // close() waits for open keep-alive connections; a scraper's idle socket must
          // not hold shutdown up.
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  ).then(() => undefined);
}
