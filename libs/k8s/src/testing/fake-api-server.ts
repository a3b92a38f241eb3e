// A small in-process stand-in for the API server's list/watch/CRUD protocol, for this
// package's tests (and others'): resourceVersions from one counter as etcd does,
// paginated lists with expiring continue tokens, watches streamed as chunked JSON lines
// with history replay, bookmarks, server-side timeouts and 410 Gone after compaction,
// bearer-token auth, optional TLS, and stop/restart on the same port.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { compileLabelSelector, parseLabelSelector } from '../selectors/label-selector.js';
import { apiVersionOf, keyOf, objectKey, resourcePath, type KubeObject, type ResourceDescriptor } from '../resources.js';

export interface FakeApiServerOptions {
  readonly resources: readonly ResourceDescriptor[];
  /** Require `Authorization: Bearer <token>`; otherwise 401. */
  readonly token?: string;
  /** Serve HTTPS with this key/cert; with `ca` + requestCert, require client certificates. */
  readonly tls?: { key: string | Buffer; cert: string | Buffer; ca?: string | Buffer; requestCert?: boolean };
  /** How a watch from a compacted resourceVersion fails: HTTP 410, or a 200 with an ERROR event (the usual). */
  readonly goneAs?: 'status' | 'event';
  readonly port?: number;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: http.IncomingHttpHeaders;
  readonly body?: string;
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface HistoryEntry {
  readonly rv: number;
  readonly type: EventType;
  readonly res: ResourceDescriptor;
  readonly object: KubeObject;
}

interface OpenWatch {
  readonly res: ResourceDescriptor;
  readonly namespace?: string;
  readonly matches: (obj: KubeObject) => boolean;
  readonly bookmarks: boolean;
  readonly response: http.ServerResponse;
}

interface Route {
  readonly res: ResourceDescriptor;
  readonly namespace?: string;
  readonly name?: string;
}

const clone = <T>(value: T): T => structuredClone(value);

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  /** Runs after a request is recorded and before it is answered (tests inject faults here). */
  beforeAnswer: ((req: RecordedRequest) => void) | undefined;
  private readonly stores = new Map<ResourceDescriptor, Map<string, KubeObject>>();
  private readonly history: HistoryEntry[] = [];
  private readonly watches = new Set<OpenWatch>();
  private rv = 1;
  private compactedRV = 0;
  private server: http.Server | undefined;
  private port = 0;
  private unavailable: number | undefined;
  private uid = 0;

  private constructor(private readonly options: FakeApiServerOptions) {
    for (const res of options.resources) this.stores.set(res, new Map());
  }

  static async start(options: FakeApiServerOptions): Promise<FakeApiServer> {
    const server = new FakeApiServer(options);
    server.port = options.port ?? 0;
    await server.listen();
    return server;
  }

  get url(): string {
    const scheme = this.options.tls ? 'https' : 'http';
    return `${scheme}://127.0.0.1:${this.port}`;
  }

  /** The current resourceVersion (the last one handed out). */
  get resourceVersion(): string {
    return String(this.rv);
  }

  /** Creates or replaces an object, as a write through the API would; returns the stored copy. */
  upsert<T extends KubeObject>(res: ResourceDescriptor<T>, obj: T): T {
    const store = this.store(res);
    const key = objectKey(obj);
    const existing = store.get(key);
    const stored = clone(obj) as KubeObject;
    stored.kind = res.kind;
    stored.apiVersion = apiVersionOf(res);
    stored.metadata = {
      ...stored.metadata,
      uid: existing?.metadata?.uid ?? `uid-${++this.uid}`,
      resourceVersion: String(++this.rv),
      ...(existing?.metadata?.creationTimestamp ? { creationTimestamp: existing.metadata.creationTimestamp } : {}),
    };
    store.set(key, stored);
    this.record(existing ? 'MODIFIED' : 'ADDED', res, stored);
    return clone(stored) as T;
  }

  /** Deletes an object; returns whether it existed. */
  remove(res: ResourceDescriptor, name: string, namespace?: string): boolean {
    const store = this.store(res);
    const key = keyOf(name, res.namespaced ? namespace : undefined);
    const existing = store.get(key);
    if (!existing) return false;
    store.delete(key);
    const gone = clone(existing);
    gone.metadata = { ...gone.metadata, resourceVersion: String(++this.rv) };
    this.record('DELETED', res, gone);
    return true;
  }

  objects(res: ResourceDescriptor): KubeObject[] {
    return [...this.store(res).values()].map(clone);
  }

  /** Forgets history up to now: watches from older resourceVersions get 410 Gone. */
  compact(): void {
    this.compactedRV = this.rv;
    this.history.length = 0;
  }

  /** Sends a BOOKMARK with the current resourceVersion to watches that allow them. */
  bookmark(): void {
    for (const watch of this.watches) {
      if (!watch.bookmarks) continue;
      const object = { kind: watch.res.kind, apiVersion: apiVersionOf(watch.res), metadata: { resourceVersion: String(this.rv) } };
      watch.response.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
    }
  }

  /** Ends all open watch streams cleanly (as a server-side timeout would). */
  closeWatches(): void {
    for (const watch of this.watches) watch.response.end();
    this.watches.clear();
  }

  get openWatches(): number {
    return this.watches.size;
  }

  /** Answers every request with this HTTP status until cleared (undefined). */
  setUnavailable(status: number | undefined): void {
    this.unavailable = status;
  }

  /** Closes the listener and every connection (watches break mid-stream). State is kept. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.watches.clear();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Listens again on the same port, with the same objects and history. */
  async restart(): Promise<void> {
    await this.stop();
    await this.listen();
  }

  private async listen(): Promise<void> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.status(res, 500, 'InternalError', String(err));
        else res.destroy();
      });
    };
    const tls = this.options.tls;
    const server = tls
      ? https.createServer({ key: tls.key, cert: tls.cert, ...(tls.ca ? { ca: tls.ca } : {}), requestCert: tls.requestCert ?? false, rejectUnauthorized: tls.requestCert ?? false }, handler)
      : http.createServer(handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private store(res: ResourceDescriptor): Map<string, KubeObject> {
    const store = this.stores.get(res);
    if (!store) throw new Error(`FakeApiServer does not serve ${res.plural}`);
    return store;
  }

  private record(type: EventType, res: ResourceDescriptor, object: KubeObject): void {
    const entry = { rv: this.rv, type, res, object: clone(object) };
    this.history.push(entry);
    for (const watch of this.watches) this.deliver(watch, entry);
  }

  private deliver(watch: OpenWatch, entry: HistoryEntry): void {
    if (entry.res !== watch.res) return;
    if (watch.namespace && entry.object.metadata?.namespace !== watch.namespace) return;
    if (!watch.matches(entry.object)) return;
    watch.response.write(`${JSON.stringify({ type: entry.type, object: entry.object })}\n`);
  }

  private route(pathname: string): Route | undefined {
    for (const res of this.options.resources) {
      const all = resourcePath(res);
      if (pathname === all) return { res };
      if (pathname.startsWith(`${all}/`) && !res.namespaced) return { res, name: decodeURIComponent(pathname.slice(all.length + 1)) };
      if (res.namespaced) {
        const prefix = all.slice(0, all.lastIndexOf('/'));
        const m = new RegExp(`^${escape(prefix)}/namespaces/([^/]+)/${res.plural}(?:/([^/]+))?$`).exec(pathname);
        if (m) return { res, namespace: decodeURIComponent(m[1] as string), ...(m[2] ? { name: decodeURIComponent(m[2]) } : {}) };
      }
    }
    return undefined;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      ...(body ? { body } : {}),
    };
    this.requests.push(recorded);
    this.beforeAnswer?.(recorded);
    if (this.unavailable !== undefined) return this.status(res, this.unavailable, 'ServiceUnavailable', 'fake server set unavailable');
    if (this.options.token !== undefined && req.headers.authorization !== `Bearer ${this.options.token}`) {
      return this.status(res, 401, 'Unauthorized', 'Unauthorized');
    }
    const route = this.route(url.pathname);
    if (!route) return this.status(res, 404, 'NotFound', `the server could not find the requested resource ${url.pathname}`);
    const q = url.searchParams;
    switch (req.method) {
      case 'GET':
        if (route.name !== undefined) return this.getOne(res, route);
        if (q.get('watch') === 'true' || q.get('watch') === '1') return this.watch(req, res, route, q);
        return this.list(res, route, q);
      case 'POST':
        return this.create(res, route, body);
      case 'PUT':
        return this.replace(res, route, body);
      case 'PATCH':
        return this.patch(req, res, route, body);
      case 'DELETE':
        return this.delete(res, route);
      default:
        return this.status(res, 405, 'MethodNotAllowed', `${req.method} not allowed`);
    }
  }

  private selected(route: Route, q: URLSearchParams): (obj: KubeObject) => boolean {
    const selector = compileLabelSelector(parseLabelSelector(q.get('labelSelector') ?? ''));
    // Field selectors as the API server takes them: comma-separated `path=value` /
    // `path!=value` terms over dotted paths (metadata.name, spec.nodeName, ...).
    const terms = (q.get('fieldSelector') ?? '')
      .split(',')
      .filter((t) => t !== '')
      .map((t) => {
        const m = /^([^!=]+)(!=|==|=)(.*)$/.exec(t);
        if (!m) throw new Error(`bad field selector term ${t}`);
        return { path: m[1]!.split('.'), negate: m[2] === '!=', value: m[3]! };
      });
    const field = (obj: KubeObject, path: string[]): string => {
      let v: unknown = obj;
      for (const p of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
      return v === undefined || v === null ? '' : String(v);
    };
    return (obj) =>
      (!route.namespace || obj.metadata?.namespace === route.namespace) &&
      selector(obj.metadata?.labels) &&
      terms.every((t) => (field(obj, t.path) === t.value) !== t.negate);
  }

  private list(res: http.ServerResponse, route: Route, q: URLSearchParams): void {
    const matches = this.selected(route, q);
    const items = [...this.store(route.res).entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, o]) => o).filter(matches);
    let offset = 0;
    let listRV = this.rv;
    const token = q.get('continue');
    if (token) {
      const [rv, off] = token.split(':').map(Number) as [number, number];
      if (rv < this.compactedRV) return this.status(res, 410, 'Expired', 'The provided continue parameter is too old');
      offset = off;
      listRV = rv;
    }
    const limit = Number(q.get('limit') ?? 0);
    const page = limit > 0 ? items.slice(offset, offset + limit) : items.slice(offset);
    const more = limit > 0 && offset + limit < items.length;
    // List items carry no kind/apiVersion on the wire; the list does.
    const wireItems = page.map((o) => {
      const { kind: _kind, apiVersion: _apiVersion, ...rest } = clone(o);
      return rest;
    });
    this.json(res, 200, {
      kind: `${route.res.kind}List`,
      apiVersion: apiVersionOf(route.res),
      metadata: { resourceVersion: String(listRV), ...(more ? { continue: `${listRV}:${offset + limit}` } : {}) },
      items: wireItems,
    });
  }

  private watch(req: http.IncomingMessage, res: http.ServerResponse, route: Route, q: URLSearchParams): void {
    const rvParam = q.get('resourceVersion');
    const from = rvParam === null || rvParam === '' || rvParam === '0' ? undefined : Number(rvParam);
    if (from !== undefined && from < this.compactedRV) {
      const message = `too old resource version: ${from} (${this.compactedRV})`;
      if (this.options.goneAs === 'status') return this.status(res, 410, 'Expired', message);
      res.writeHead(200, { 'content-type': 'application/json' });
      const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Expired', code: 410 };
      res.end(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const watch: OpenWatch = {
      res: route.res,
      ...(route.namespace ? { namespace: route.namespace } : {}),
      matches: this.selected(route, q),
      bookmarks: q.get('allowWatchBookmarks') === 'true',
      response: res,
    };
    if (from === undefined) {
      // No resourceVersion: synthetic ADDED events for the current state, then live.
      for (const object of this.store(route.res).values()) this.deliver(watch, { rv: this.rv, type: 'ADDED', res: route.res, object });
    } else {
      for (const entry of this.history) if (entry.rv > from) this.deliver(watch, entry);
    }
    this.watches.add(watch);
    const timeout = Number(q.get('timeoutSeconds') ?? 0);
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    const cleanup = (): void => {
      clearTimeout(timer);
      this.watches.delete(watch);
    };
    res.once('close', cleanup);
    req.once('close', cleanup);
  }

  private getOne(res: http.ServerResponse, route: Route): void {
    const obj = this.store(route.res).get(keyOf(route.name as string, route.namespace));
    if (!obj) return this.notFound(res, route);
    this.json(res, 200, obj);
  }

  private create(res: http.ServerResponse, route: Route, body: string): void {
    const obj = JSON.parse(body) as KubeObject;
    const namespace = route.res.namespaced ? (route.namespace ?? obj.metadata?.namespace) : undefined;
    obj.metadata = { ...obj.metadata, ...(namespace ? { namespace } : {}) };
    if (this.store(route.res).has(objectKey(obj))) {
      return this.status(res, 409, 'AlreadyExists', `${route.res.plural} "${obj.metadata.name}" already exists`);
    }
    this.json(res, 201, this.upsert(route.res, obj));
  }

  private replace(res: http.ServerResponse, route: Route, body: string): void {
    const obj = JSON.parse(body) as KubeObject;
    const existing = this.store(route.res).get(keyOf(route.name as string, route.namespace));
    if (!existing) return this.notFound(res, route);
    const expected = obj.metadata?.resourceVersion;
    if (expected && expected !== existing.metadata?.resourceVersion) {
      return this.status(res, 409, 'Conflict', `Operation cannot be fulfilled on ${route.res.plural} "${route.name}": the object has been modified`);
    }
    this.json(res, 200, this.upsert(route.res, obj));
  }

  private patch(req: http.IncomingMessage, res: http.ServerResponse, route: Route, body: string): void {
    const type = req.headers['content-type'] ?? '';
    // Strategic merge differs from JSON merge only for lists with merge keys; this fake
    // applies both as JSON merge patches (RFC 7386).
    if (type !== 'application/merge-patch+json' && type !== 'application/strategic-merge-patch+json') {
      return this.status(res, 415, 'UnsupportedMediaType', `the fake server does not support ${type}`);
    }
    const existing = this.store(route.res).get(keyOf(route.name as string, route.namespace));
    if (!existing) return this.notFound(res, route);
    this.json(res, 200, this.upsert(route.res, mergePatch(existing, JSON.parse(body)) as KubeObject));
  }

  private delete(res: http.ServerResponse, route: Route): void {
    const existing = this.store(route.res).get(keyOf(route.name as string, route.namespace));
    if (!existing || !this.remove(route.res, route.name as string, route.namespace)) return this.notFound(res, route);
    this.json(res, 200, existing);
  }

  private notFound(res: http.ServerResponse, route: Route): void {
    this.status(res, 404, 'NotFound', `${route.res.plural} "${route.name}" not found`);
  }

  private status(res: http.ServerResponse, code: number, reason: string, message: string): void {
    this.json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  }

  private json(res: http.ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return clone(patch);
  const result: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}
