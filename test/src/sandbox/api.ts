// The CLI's client for the API server simulator (in the root namespace, plain HTTP on
// loopback): fetch is enough, and answers are decoded as the Kubernetes Status they are.
import { ApiError } from '@kr/errors';

export interface KubeMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
}

export interface KubeObj {
  apiVersion?: string;
  kind?: string;
  metadata?: KubeMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface KubeList<T = KubeObj> {
  metadata: { resourceVersion?: string };
  items: T[];
}

/** REST path of a kind, for the kinds the sandbox handles. */
export interface KindInfo {
  readonly kind: string;
  readonly apiVersion: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

export const KINDS: Readonly<Record<string, KindInfo>> = {
  Namespace: { kind: 'Namespace', apiVersion: 'v1', plural: 'namespaces', namespaced: false },
  Node: { kind: 'Node', apiVersion: 'v1', plural: 'nodes', namespaced: false },
  Pod: { kind: 'Pod', apiVersion: 'v1', plural: 'pods', namespaced: true },
  Service: { kind: 'Service', apiVersion: 'v1', plural: 'services', namespaced: true },
  NetworkPolicy: { kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1', plural: 'networkpolicies', namespaced: true },
};

export function resourcePath(info: KindInfo, namespace?: string, name?: string): string {
  const base = info.apiVersion.includes('/') ? `/apis/${info.apiVersion}` : `/api/${info.apiVersion}`;
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${info.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

export class SimulatorClient {
  constructor(
    readonly url: string,
    private readonly timeoutMs = 15_000,
  ) {}

  private async request<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const what = `${method} ${path}`;
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': contentType } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new ApiError(`${what}: the API server simulator at ${this.url} does not answer (${(err as Error).message}); is the sandbox up?`, undefined, { cause: err });
    }
    const text = await response.text();
    if (!response.ok) {
      let message = text.slice(0, 300);
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        // Not a Status: the raw body is the best message there is.
      }
      throw new ApiError(`${what}: ${response.status} ${message}`, response.status);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T = KubeObj>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** GET, or undefined on 404. */
  async find<T = KubeObj>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  list<T = KubeObj>(path: string): Promise<KubeList<T>> {
    return this.request<KubeList<T>>('GET', path);
  }

  create<T = KubeObj>(path: string, obj: unknown): Promise<T> {
    return this.request<T>('POST', path, obj);
  }

  /** Server-side apply (creates or updates), forced, as `kubectl apply --server-side --force-conflicts`. */
  apply<T = KubeObj>(objectPath: string, obj: unknown): Promise<T> {
    return this.request<T>('PATCH', `${objectPath}?fieldManager=kr-sandbox&force=true`, obj, 'application/apply-patch+yaml');
  }

  mergePatch<T = KubeObj>(objectPath: string, patch: unknown): Promise<T> {
    return this.request<T>('PATCH', objectPath, patch, 'application/merge-patch+json');
  }

  /** DELETE; false when the object was already gone. */
  async delete(objectPath: string): Promise<boolean> {
    try {
      await this.request('DELETE', objectPath);
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return false;
      throw err;
    }
  }

  /** The store's current resourceVersion (a list's). */
  async resourceVersion(): Promise<string> {
    const list = await this.list('/api/v1/namespaces?limit=1');
    return list.metadata.resourceVersion ?? '';
  }
}
