import type http from 'node:http';
import { ApiError } from '@kr/errors';
import type { V1Status } from '@kubernetes/client-node';
import type { ClientConfig } from '../config/kubeconfig.js';
import { apiVersionOf, resourcePath, type KubeObject, type ResourceDescriptor } from '../resources.js';
import { apiErrorFromResponse, apiErrorFromStatus } from './errors.js';
import { Transport, readBody, type HttpRequest, type Query, type TransportOptions } from './transport.js';

export interface KubeClientOptions extends TransportOptions {
  /** Timeout of non-watch requests (default 30 s). */
  readonly requestTimeoutMs?: number;
}

export interface Target {
  readonly namespace?: string;
  readonly signal?: AbortSignal;
}

export interface ListOptions extends Target {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continue?: string;
  readonly resourceVersion?: string;
}

export interface ObjectList<T> {
  readonly items: T[];
  readonly resourceVersion: string;
  readonly continue?: string;
}

export interface WatchOptions extends Target {
  readonly resourceVersion?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly allowWatchBookmarks?: boolean;
  /** Asks the server to end the watch after this long. */
  readonly timeoutSeconds?: number;
  /**
   * Ends the watch from this side after this long (a normal end, not an error). Guards
   * against half-open connections where the server's own timeout never arrives.
   */
  readonly clientTimeoutMs?: number;
  /** Called once the server has accepted the watch (HTTP 200), before any event. */
  readonly onOpen?: () => void;
}

export type WatchEvent<T> =
  | { readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly object: T }
  | { readonly type: 'BOOKMARK'; readonly object: KubeObject };

export type PatchType = 'merge' | 'strategic' | 'json';

const PATCH_CONTENT_TYPES: Readonly<Record<PatchType, string>> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

/**
 * A small typed REST client: enough for informers, for controllers that annotate or
 * patch their node, and for tests. Every failure is an ApiError; HTTP failures carry
 * the status code and the server's Status message.
 */
export class KubeClient {
  readonly transport: Transport;

  constructor(
    readonly config: ClientConfig,
    private readonly options: KubeClientOptions = {},
  ) {
    this.transport = new Transport(config, options);
  }

  async get<T extends KubeObject>(res: ResourceDescriptor<T>, name: string, target: Target = {}): Promise<T> {
    return this.json<T>({ method: 'GET', path: resourcePath(res, { ...target, name }), ...signalOf(target) });
  }

  /** One page of a list; items get kind/apiVersion filled in (list items lack them on the wire). */
  async list<T extends KubeObject>(res: ResourceDescriptor<T>, options: ListOptions = {}): Promise<ObjectList<T>> {
    const query: Query = {
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      limit: options.limit,
      continue: options.continue,
      resourceVersion: options.resourceVersion,
    };
    // Raw wire JSON: the continue token is `continue` (client-node's model renames it `_continue`).
    const list = await this.json<{ metadata?: { resourceVersion?: string; continue?: string }; items?: T[] }>({
      method: 'GET',
      path: resourcePath(res, options),
      query,
      ...signalOf(options),
    });
    const items = list.items ?? [];
    for (const item of items) stampKind(item, res);
    return {
      items,
      resourceVersion: list.metadata?.resourceVersion ?? '',
      ...(list.metadata?.continue ? { continue: list.metadata.continue } : {}),
    };
  }

  /**
   * All pages of a list, `pageSize` at a time. If a continue token expires mid-way (410),
   * the list restarts unpaginated, as client-go's pager does.
   */
  async listAll<T extends KubeObject>(
    res: ResourceDescriptor<T>,
    options: Omit<ListOptions, 'limit' | 'continue'> & { pageSize?: number } = {},
  ): Promise<ObjectList<T>> {
    const { pageSize = 500, ...rest } = options;
    const items: T[] = [];
    let page = await this.list(res, { ...rest, limit: pageSize });
    items.push(...page.items);
    while (page.continue) {
      try {
        page = await this.list(res, { ...rest, limit: pageSize, continue: page.continue });
      } catch (err) {
        if (err instanceof ApiError && err.status === 410) return this.list(res, rest);
        throw err;
      }
      items.push(...page.items);
    }
    return { items, resourceVersion: page.resourceVersion };
  }

  async create<T extends KubeObject>(res: ResourceDescriptor<T>, obj: T, target: Target = {}): Promise<T> {
    const namespace = target.namespace ?? obj.metadata?.namespace;
    return this.json<T>({
      method: 'POST',
      path: resourcePath(res, namespace ? { namespace } : {}),
      body: { apiVersion: apiVersionOf(res), kind: res.kind, ...obj },
      ...signalOf(target),
    });
  }

  /** PUT of a whole object; with metadata.resourceVersion set, a concurrent change gives 409. */
  async update<T extends KubeObject>(res: ResourceDescriptor<T>, obj: T, target: Target = {}): Promise<T> {
    const name = obj.metadata?.name;
    if (!name) throw new ApiError(`update ${res.kind}: object has no metadata.name`);
    const namespace = target.namespace ?? obj.metadata?.namespace;
    return this.json<T>({
      method: 'PUT',
      path: resourcePath(res, { ...(namespace ? { namespace } : {}), name }),
      body: { apiVersion: apiVersionOf(res), kind: res.kind, ...obj },
      ...signalOf(target),
    });
  }

  /** PATCH with a JSON merge patch (default), a strategic merge patch or a JSON patch. */
  async patch<T extends KubeObject>(
    res: ResourceDescriptor<T>,
    name: string,
    patch: unknown,
    options: Target & { type?: PatchType } = {},
  ): Promise<T> {
    return this.json<T>({
      method: 'PATCH',
      path: resourcePath(res, { ...options, name }),
      body: patch,
      contentType: PATCH_CONTENT_TYPES[options.type ?? 'merge'],
      ...signalOf(options),
    });
  }

  async delete(res: ResourceDescriptor, name: string, target: Target = {}): Promise<void> {
    await this.json<unknown>({ method: 'DELETE', path: resourcePath(res, { ...target, name }), ...signalOf(target) });
  }

  /**
   * Watches a collection. Yields ADDED/MODIFIED/DELETED/BOOKMARK events; an ERROR event
   * (e.g. 410 Expired) or a non-200 answer throws ApiError with that code. The generator
   * returns when the server ends the stream or clientTimeoutMs passes; breaking out of
   * the loop or aborting the signal closes the connection.
   */
  async *watch<T extends KubeObject>(res: ResourceDescriptor<T>, options: WatchOptions = {}): AsyncGenerator<WatchEvent<T>> {
    const deadline = new AbortController();
    const timer = options.clientTimeoutMs === undefined ? undefined : setTimeout(() => deadline.abort(), options.clientTimeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal;
    const req: HttpRequest = {
      method: 'GET',
      path: resourcePath(res, options),
      query: {
        watch: 'true',
        resourceVersion: options.resourceVersion,
        allowWatchBookmarks: options.allowWatchBookmarks,
        timeoutSeconds: options.timeoutSeconds,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
      },
      signal,
    };
    const what = `watch ${Transport.describe(req)}`;
    let response: http.IncomingMessage | undefined;
    try {
      response = await this.transport.open(req);
      if (response.statusCode !== 200) {
        throw apiErrorFromResponse(what, response.statusCode ?? 0, await readBody(response));
      }
      options.onOpen?.();
      response.setEncoding('utf8');
      let buffer = '';
      for await (const chunk of response) {
        buffer += chunk as string;
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (line) yield decodeEvent<T>(line, what, res);
        }
      }
      if (buffer.trim()) yield decodeEvent<T>(buffer.trim(), what, res);
    } catch (err) {
      // Our own deadline is a normal end of the watch; the caller's abort or a broken
      // stream is not.
      if (deadline.signal.aborted && !options.signal?.aborted) return;
      if (err instanceof ApiError) throw err;
      throw new ApiError(`${what}: stream failed: ${(err as Error).message}`, undefined, { cause: err });
    } finally {
      clearTimeout(timer);
      response?.destroy();
    }
  }

  /** Closes idle connections. */
  close(): void {
    this.transport.close();
  }

  private async json<T>(req: HttpRequest): Promise<T> {
    const timeout = AbortSignal.timeout(this.options.requestTimeoutMs ?? 30_000);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    const what = Transport.describe(req);
    try {
      const response = await this.transport.open({ ...req, signal });
      const body = await readBody(response);
      const status = response.statusCode ?? 0;
      if (status < 200 || status >= 300) throw apiErrorFromResponse(what, status, body);
      return (body ? JSON.parse(body) : undefined) as T;
    } catch (err) {
      if (timeout.aborted && !req.signal?.aborted) {
        throw new ApiError(`${what}: no answer within ${this.options.requestTimeoutMs ?? 30_000} ms`, undefined, { cause: err });
      }
      if (err instanceof ApiError) throw err;
      throw new ApiError(`${what}: ${(err as Error).message}`, undefined, { cause: err });
    }
  }
}

function signalOf(target: Target): { signal?: AbortSignal } {
  return target.signal ? { signal: target.signal } : {};
}

function stampKind(obj: KubeObject, res: ResourceDescriptor): void {
  obj.kind ??= res.kind;
  obj.apiVersion ??= apiVersionOf(res);
}

function decodeEvent<T extends KubeObject>(line: string, what: string, res: ResourceDescriptor<T>): WatchEvent<T> {
  let event: { type?: unknown; object?: unknown };
  try {
    event = JSON.parse(line) as { type?: unknown; object?: unknown };
  } catch (err) {
    throw new ApiError(`${what}: malformed watch event: ${line.slice(0, 120)}`, undefined, { cause: err });
  }
  const object = event.object as T;
  switch (event.type) {
    case 'ADDED':
    case 'MODIFIED':
    case 'DELETED':
      stampKind(object, res);
      return { type: event.type, object };
    case 'BOOKMARK':
      return { type: 'BOOKMARK', object };
    case 'ERROR':
      throw apiErrorFromStatus(what, event.object as V1Status);
    default:
      throw new ApiError(`${what}: unknown watch event type ${JSON.stringify(event.type)}`);
  }
}
