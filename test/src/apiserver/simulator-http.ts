// HTTP: routing of Kubernetes REST paths to the registry, request bodies (JSON, YAML,
// the patch media types), response encoding (objects, lists, Tables, Status), and watch
// streams (chunked JSON lines, bookmarks, server-side timeouts, 410 as an ERROR event).
import type http from 'node:http';
import {
  apiGroupList,
  apiGroupOf,
  apiResourceList,
  apiVersions,
  openApiV3Document,
  openApiV3Index,
  SIMULATED_VERSION,
} from './simulator-discovery.js';
import { isObject } from './simulator-patch.js';
import type { DeleteOptions, ListQuery, PatchType, Registry, WriteOptions } from './simulator-registry.js';
import { NAMESPACE, POD, findResourceType, groupVersion, type KObject, type ResourceType } from './simulator-resources.js';
import { compileSelectors } from './simulator-selectors.js';
import { StatusError, badRequest, internalError, methodNotAllowed, resourceNotFound, unsupportedMediaType } from './simulator-status.js';
import type { EventType } from './simulator-store.js';
import { partialObjectMetadata, toTable } from './simulator-table.js';

export interface HttpOptions {
  /** Server-side watch timeout when the client sets none: random in [t, 2t) like --min-request-timeout (default 1800). */
  readonly watchTimeoutSeconds?: number;
  /** How often open watches that allow bookmarks get one (default 60 s; also sent right before a timeout). */
  readonly bookmarkIntervalMs?: number;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

interface Route {
  readonly type: ResourceType;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
}

const MAX_BODY = 3 * 1024 * 1024;

const PATCH_TYPES: Readonly<Record<string, PatchType>> = {
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/json-patch+json': 'json',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+cbor': 'apply',
};

function sendJson(res: http.ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendText(res: http.ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the request body is too large', reason: 'RequestEntityTooLarge', code: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function parseBody(text: string, contentType: string): Promise<unknown> {
  if (text.trim() === '') return undefined;
  const yamlish = contentType.includes('yaml');
  try {
    if (yamlish) {
      const { parse } = await import('yaml');
      return parse(text) as unknown;
    }
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`error decoding ${yamlish ? 'YAML' : 'JSON'} body: ${(err as Error).message}`);
  }
}

/** Parses /api/v1/... and /apis/<group>/<version>/... below the group-version. */
function route(group: string, version: string, segments: string[]): Route | 'discovery' | undefined {
  if (segments.length === 0) return 'discovery';
  if (segments[0] === 'namespaces' && segments.length >= 3 && segments[2] !== 'status' && segments[2] !== 'finalize') {
    const type = findResourceType(group, version, segments[2] as string);
    if (!type?.namespaced || segments.length > 5) return undefined;
    return { type, namespace: segments[1], ...(segments[3] ? { name: segments[3] } : {}), ...(segments[4] ? { subresource: segments[4] } : {}) };
  }
  const type = findResourceType(group, version, segments[0] as string);
  if (!type || segments.length > 3) return undefined;
  return { type, ...(segments[1] ? { name: segments[1] } : {}), ...(segments[2] ? { subresource: segments[2] } : {}) };
}

function wants(req: http.IncomingMessage, as: string): boolean {
  return (req.headers.accept ?? '').split(',').some((part) => part.includes(`as=${as}`) && part.includes('g=meta.k8s.io'));
}

function writeOptions(query: URLSearchParams): WriteOptions {
  const dryRun = query.getAll('dryRun');
  for (const value of dryRun) if (value !== 'All') throw badRequest(`Invalid dry run value: ${value}`);
  const fieldManager = query.get('fieldManager');
  return { dryRun: dryRun.length > 0, ...(fieldManager ? { fieldManager } : {}), force: query.get('force') === 'true' };
}

function intParam(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!/^-?[0-9]+$/.test(value)) throw badRequest(`${name}: Invalid value: ${JSON.stringify(value)}: must be an integer`);
  return Number(value);
}

export class SimulatorHttp {
  private readonly watches = new Set<http.ServerResponse>();

  constructor(
    private readonly registry: Registry,
    private readonly options: HttpOptions = {},
  ) {}

  get openWatches(): number {
    return this.watches.size;
  }

  /** Ends every open watch (stop, or a test simulating a dropped connection). */
  closeWatches(): void {
    for (const res of this.watches) res.end();
    this.watches.clear();
  }

  readonly handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    this.serve(req, res).catch((err: unknown) => {
      const status = err instanceof StatusError ? err : internalError((err as Error).message ?? String(err));
      if (!(err instanceof StatusError)) this.options.log?.('request failed', { method: req.method, url: req.url, err: String(err) });
      if (res.headersSent) res.end();
      else sendJson(res, status.code, status.status);
    });
  };

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    const [root, ...rest] = segments;
    switch (root) {
      case 'healthz':
      case 'livez':
      case 'readyz':
        return sendText(res, 200, 'ok');
      case 'version':
        return sendJson(res, 200, SIMULATED_VERSION);
      case 'openapi':
        return this.serveOpenApi(res, rest);
      case 'api':
        if (rest.length === 0) return sendJson(res, 200, apiVersions(req.socket.localAddress ? `${req.socket.localAddress}:${req.socket.localPort ?? ''}` : 'localhost'));
        return this.serveGroupVersion(req, res, url, '', rest[0] as string, rest.slice(1), method);
      case 'apis': {
        if (rest.length === 0) return sendJson(res, 200, apiGroupList());
        if (rest.length === 1) {
          const group = apiGroupOf(rest[0] as string);
          return group ? sendJson(res, 200, group) : sendJson(res, 404, resourceNotFound().status);
        }
        return this.serveGroupVersion(req, res, url, rest[0] as string, rest[1] as string, rest.slice(2), method);
      }
      default:
        return sendText(res, 404, '404 page not found\n');
    }
  }

  private serveOpenApi(res: http.ServerResponse, rest: string[]): void {
    if (rest[0] === 'v3' && rest.length === 1) return sendJson(res, 200, openApiV3Index());
    if (rest[0] === 'v3') {
      const doc = rest[1] === 'api' ? openApiV3Document('', rest[2] ?? '') : openApiV3Document(rest[2] ?? '', rest[3] ?? '');
      if (doc) return sendJson(res, 200, doc);
    }
    sendText(res, 404, '404 page not found\n');
  }

  private async serveGroupVersion(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    group: string,
    version: string,
    segments: string[],
    method: string,
  ): Promise<void> {
    let watchPath = false;
    if (segments[0] === 'watch') {
      // The deprecated /watch/ prefix some old clients still use.
      watchPath = true;
      segments = segments.slice(1);
    }
    const target = route(group, version, segments);
    if (target === 'discovery') {
      const list = apiResourceList(group, version);
      return list ? sendJson(res, 200, list) : sendJson(res, 404, resourceNotFound().status);
    }
    if (!target) return sendJson(res, 404, resourceNotFound().status);
    const query = url.searchParams;
    const { type, namespace, name, subresource } = target;
    if (subresource && !(subresource === 'status' && type.statusSubresource) && !(type === POD && subresource === 'binding') && !(type === NAMESPACE && subresource === 'finalize')) {
      return sendJson(res, 404, resourceNotFound().status);
    }
    const status = subresource === 'status' ? 'status' : undefined;
    switch (method) {
      case 'GET':
        if (!name || watchPath) {
          if (watchPath || query.get('watch') === 'true' || query.get('watch') === '1') return this.serveWatch(req, res, type, namespace, name, query);
          return this.serveList(req, res, type, namespace, query);
        }
        return this.sendObject(req, res, 200, type, this.registry.get(type, namespace, name));
      case 'POST': {
        const body = await parseBody(await readBody(req), req.headers['content-type'] ?? 'application/json');
        if (name && type === POD && subresource === 'binding' && namespace) {
          this.registry.bind(namespace, name, body);
          return sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
        }
        if (name) throw methodNotAllowed(`the server does not allow this method on the requested resource`);
        return this.sendObject(req, res, 201, type, this.registry.create(type, namespace, body, writeOptions(query)));
      }
      case 'PUT': {
        if (!name) throw methodNotAllowed('the server does not allow this method on the requested resource');
        const body = await parseBody(await readBody(req), req.headers['content-type'] ?? 'application/json');
        const { object, created } = this.registry.update(type, namespace, name, body, status, writeOptions(query));
        return this.sendObject(req, res, created ? 201 : 200, type, object);
      }
      case 'PATCH': {
        if (!name) throw methodNotAllowed('the server does not allow this method on the requested resource');
        const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
        const patchType = PATCH_TYPES[contentType];
        if (!patchType) throw unsupportedMediaType(contentType);
        const body = await parseBody(await readBody(req), patchType === 'apply' ? 'yaml' : 'json');
        const existed = patchType === 'apply' ? this.registry.store.peek(type, namespace, name) !== undefined : true;
        const object = this.registry.patch(type, namespace, name, patchType, body, status, writeOptions(query));
        return this.sendObject(req, res, existed ? 200 : 201, type, object);
      }
      case 'DELETE': {
        const text = await readBody(req);
        const body = asRecord(await parseBody(text, 'json'));
        const options: DeleteOptions = {
          ...writeOptions(query),
          ...(intParam(query, 'gracePeriodSeconds') !== undefined ? { gracePeriodSeconds: intParam(query, 'gracePeriodSeconds') } : {}),
          ...(typeof body.gracePeriodSeconds === 'number' ? { gracePeriodSeconds: body.gracePeriodSeconds } : {}),
          ...(isObject(body.preconditions) ? { preconditions: body.preconditions as DeleteOptions['preconditions'] } : {}),
        };
        if (!name) {
          const items = this.registry.deleteCollection(type, this.listQuery(namespace, query), options);
          return sendJson(res, 200, { kind: `${type.kind}List`, apiVersion: groupVersion(type), metadata: { resourceVersion: String(this.registry.store.resourceVersion) }, items });
        }
        const result = this.registry.delete(type, namespace, name, options);
        if ('status' in result) return sendJson(res, 200, result.status);
        return this.sendObject(req, res, 200, type, result.object);
      }
      default:
        throw methodNotAllowed(`the server does not allow this method on the requested resource`);
    }
  }

  private listQuery(namespace: string | undefined, query: URLSearchParams): ListQuery {
    const limit = intParam(query, 'limit');
    return {
      ...(namespace ? { namespace } : {}),
      ...(query.get('labelSelector') ? { labelSelector: query.get('labelSelector') as string } : {}),
      ...(query.get('fieldSelector') ? { fieldSelector: query.get('fieldSelector') as string } : {}),
      ...(limit !== undefined ? { limit } : {}),
      ...(query.get('continue') ? { continue: query.get('continue') as string } : {}),
    };
  }

  private sendObject(req: http.IncomingMessage, res: http.ServerResponse, code: number, type: ResourceType, obj: KObject): void {
    if (wants(req, 'Table')) return sendJson(res, code, toTable(type, [obj], obj.metadata.resourceVersion ?? ''));
    if (wants(req, 'PartialObjectMetadata')) return sendJson(res, code, partialObjectMetadata(obj));
    sendJson(res, code, obj);
  }

  private serveList(req: http.IncomingMessage, res: http.ServerResponse, type: ResourceType, namespace: string | undefined, query: URLSearchParams): void {
    const list = this.registry.list(type, this.listQuery(namespace, query));
    const paging = list.continue ? { continue: list.continue, remainingItemCount: list.remainingItemCount } : {};
    if (wants(req, 'Table')) {
      return sendJson(res, 200, toTable(type, list.items, list.resourceVersion, query.get('includeObject') ?? 'Metadata', paging));
    }
    if (wants(req, 'PartialObjectMetadataList')) {
      return sendJson(res, 200, { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: list.resourceVersion, ...paging }, items: list.items.map(partialObjectMetadata) });
    }
    // List items carry no kind/apiVersion on the wire; the list does.
    const items = list.items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
    sendJson(res, 200, { kind: `${type.kind}List`, apiVersion: groupVersion(type), metadata: { resourceVersion: list.resourceVersion, ...paging }, items });
  }

  private serveWatch(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    type: ResourceType,
    namespace: string | undefined,
    name: string | undefined,
    query: URLSearchParams,
  ): void {
    const fieldSelector = [query.get('fieldSelector'), name ? `metadata.name=${name}` : ''].filter(Boolean).join(',');
    const matches = compileSelectors(type, query.get('labelSelector') ?? undefined, fieldSelector || undefined);
    const rvParam = query.get('resourceVersion') ?? '';
    if (rvParam !== '' && !/^[0-9]+$/.test(rvParam)) throw badRequest(`resourceVersion: Invalid value: ${JSON.stringify(rvParam)}: must be a non-negative integer`);
    const bookmarks = query.get('allowWatchBookmarks') === 'true';
    const initialEvents = query.get('sendInitialEvents') === 'true';
    if (initialEvents && (query.get('resourceVersionMatch') !== 'NotOlderThan' || !bookmarks)) {
      throw badRequest('sendInitialEvents requires resourceVersionMatch=NotOlderThan and allowWatchBookmarks=true');
    }
    const fromRv = rvParam === '' || rvParam === '0' || initialEvents ? undefined : Number(rvParam);
    const base = this.options.watchTimeoutSeconds ?? 1800;
    const timeoutSeconds = intParam(query, 'timeoutSeconds') ?? Math.floor(base * (1 + Math.random()));
    const asTable = wants(req, 'Table');

    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const send = (eventType: EventType | 'BOOKMARK' | 'ERROR', object: unknown) => {
      if (!res.writableEnded) res.write(`${JSON.stringify({ type: eventType, object })}\n`);
    };
    const encode = (obj: KObject): unknown => (asTable ? toTable(type, [obj], obj.metadata.resourceVersion ?? '', query.get('includeObject') ?? 'Metadata') : obj);
    const bookmark = (annotations?: Record<string, string>) =>
      send('BOOKMARK', { kind: type.kind, apiVersion: groupVersion(type), metadata: { resourceVersion: String(this.registry.store.resourceVersion), ...(annotations ? { annotations } : {}) } });

    let cancel: () => void = () => undefined;
    try {
      cancel = this.registry.store.watch(type, fromRv, { ...(namespace ? { namespace } : {}), matches }, (eventType, obj) => send(eventType, encode(obj)));
    } catch (err) {
      // Like the watch cache: the watch is accepted, then fails with one ERROR event.
      if (!(err instanceof StatusError)) throw err;
      send('ERROR', err.status);
      res.end();
      return;
    }
    if (initialEvents) bookmark({ 'k8s.io/initial-events-end': 'true' });
    this.watches.add(res);
    const interval = bookmarks ? setInterval(() => bookmark(), this.options.bookmarkIntervalMs ?? 60_000) : undefined;
    const timeout = setTimeout(() => {
      if (bookmarks) bookmark();
      res.end();
    }, timeoutSeconds * 1000);
    const cleanup = () => {
      cancel();
      clearInterval(interval);
      clearTimeout(timeout);
      this.watches.delete(res);
    };
    res.on('close', cleanup);
    res.on('finish', cleanup);
    req.on('close', cleanup);
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return isObject(value) ? value : {};
}
