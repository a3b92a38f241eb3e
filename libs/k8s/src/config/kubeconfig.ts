import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from '@kr/errors';

/** How requests authenticate. A token file is re-read as it rotates (projected tokens). */
export type Credentials =
  | { readonly kind: 'none' }
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'tokenFile'; readonly path: string }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string };

export interface TlsSettings {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly insecureSkipVerify: boolean;
  /** SNI / certificate name to expect instead of the server URL's host. */
  readonly serverName?: string;
}

/** Everything needed to talk to one API server; produced by loadClientConfig. */
export interface ClientConfig {
  /** Base URL without a trailing slash; may carry a path prefix (proxied API servers). */
  readonly server: string;
  readonly source: 'kubeconfig' | 'in-cluster' | 'master';
  readonly kubeconfigPath?: string;
  readonly context?: string;
  /** The context's namespace, or the service account's in a cluster. */
  readonly namespace?: string;
  readonly tls: TlsSettings;
  readonly credentials: Credentials;
}

export interface LoadClientConfigOptions {
  /** --kubeconfig: path of a kubeconfig file. */
  readonly kubeconfig?: string;
  /** --master: API server URL; overrides the kubeconfig's server. */
  readonly master?: string;
  /** Context to use instead of the kubeconfig's current-context. */
  readonly context?: string;
  /** Environment to read KUBECONFIG / KUBERNETES_SERVICE_* from (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where the service account is mounted (default /var/run/secrets/kubernetes.io/serviceaccount). */
  readonly serviceAccountDir?: string;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Resolves the API server and credentials the way kube-router's flags do, plus $KUBECONFIG:
 *   1. --kubeconfig (with --master overriding its server),
 *   2. --master alone: that URL, no credentials (e.g. a local insecure port or simulator),
 *   3. $KUBECONFIG (first path of the list; merging several files is not supported),
 *   4. in-cluster: KUBERNETES_SERVICE_HOST/PORT and the mounted service account.
 * We do not use client-node's KubeConfig: importing it loads the whole generated API
 * (~60 MB RSS), and the four controllers each have an 85 MB budget.
 */
export async function loadClientConfig(options: LoadClientConfigOptions = {}): Promise<ClientConfig> {
  const env = options.env ?? process.env;
  const master = options.master ? normaliseServer(options.master, '--master') : undefined;
  if (options.kubeconfig) return withMaster(await loadKubeconfig(options.kubeconfig, '--kubeconfig', options.context), master);
  if (master) return { server: master, source: 'master', tls: { insecureSkipVerify: false }, credentials: { kind: 'none' } };
  const fromEnv = env['KUBECONFIG']?.split(':').find((p) => p !== '');
  if (fromEnv) return loadKubeconfig(fromEnv, '$KUBECONFIG', options.context);
  if (env['KUBERNETES_SERVICE_HOST']) return loadInCluster(env, options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR);
  throw new ConfigError(
    '--kubeconfig',
    'no API server configured: pass --kubeconfig or --master, set $KUBECONFIG, or run in a pod (KUBERNETES_SERVICE_HOST is unset)',
  );
}

function withMaster(config: ClientConfig, master: string | undefined): ClientConfig {
  return master ? { ...config, server: master } : config;
}

function normaliseServer(value: string, flag: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch (err) {
    throw new ConfigError(flag, `${JSON.stringify(value)} is not a URL (expected https://host:port or http://host:port)`, { cause: err });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(flag, `${JSON.stringify(value)}: scheme must be http or https`);
  }
  if (url.search || url.hash) throw new ConfigError(flag, `${JSON.stringify(value)}: must not carry a query or fragment`);
  return url.toString().replace(/\/+$/, '');
}

async function loadInCluster(env: Readonly<Record<string, string | undefined>>, saDir: string): Promise<ClientConfig> {
  const host = env['KUBERNETES_SERVICE_HOST'] ?? '';
  const port = env['KUBERNETES_SERVICE_PORT'];
  const flag = 'in-cluster config';
  if (!port) throw new ConfigError(flag, 'KUBERNETES_SERVICE_HOST is set but KUBERNETES_SERVICE_PORT is not');
  // IPv6 service hosts (IPv6-only or IPv6-primary clusters) must be bracketed in a URL.
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const server = normaliseServer(`https://${hostPart}:${port}`, flag);
  const tokenPath = resolve(saDir, 'token');
  // Read once now so a missing mount fails at startup, not at the first request.
  await readRequired(tokenPath, flag, 'service account token');
  const ca = await readRequired(resolve(saDir, 'ca.crt'), flag, 'service account CA');
  const namespace = (await readFile(resolve(saDir, 'namespace'), 'utf8').catch(() => undefined))?.trim();
  return {
    server,
    source: 'in-cluster',
    ...(namespace ? { namespace } : {}),
    tls: { ca, insecureSkipVerify: false },
    credentials: { kind: 'tokenFile', path: tokenPath },
  };
}

async function readRequired(path: string, flag: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new ConfigError(flag, `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
}

type YamlMap = Record<string, unknown>;

async function loadKubeconfig(path: string, flag: string, contextOverride: string | undefined): Promise<ClientConfig> {
  const text = (await readRequired(path, flag, 'kubeconfig')).toString('utf8');
  // The yaml package costs ~9 MB RSS; load it only when a kubeconfig file is used
  // (in-cluster, the normal case in production, never pays for it).
  const { parse } = await import('yaml');
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ConfigError(flag, `${path}: not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  const fail = (reason: string): never => {
    throw new ConfigError(flag, `${path}: ${reason}`);
  };
  if (!isMap(doc)) return fail('not a kubeconfig (top level is not a mapping)');

  const contextName = contextOverride ?? stringField(doc, 'current-context');
  if (!contextName) return fail('no current-context set');
  const context = named(doc, 'contexts', 'context', contextName) ?? fail(`context ${JSON.stringify(contextName)} not found`);
  const clusterName = stringField(context, 'cluster') ?? fail(`context ${JSON.stringify(contextName)} names no cluster`);
  const cluster = named(doc, 'clusters', 'cluster', clusterName) ?? fail(`cluster ${JSON.stringify(clusterName)} not found`);
  const userName = stringField(context, 'user');
  const user = userName ? (named(doc, 'users', 'user', userName) ?? fail(`user ${JSON.stringify(userName)} not found`)) : {};

  const base = dirname(resolve(path));
  const server = normaliseServer(stringField(cluster, 'server') ?? fail(`cluster ${JSON.stringify(clusterName)} has no server`), flag);
  if (cluster['proxy-url']) fail(`cluster ${JSON.stringify(clusterName)}: proxy-url is not supported`);
  if (user['exec'] || user['auth-provider']) {
    fail(`user ${JSON.stringify(userName)}: exec and auth-provider credential plugins are not supported; use a token or client certificate`);
  }

  const material = async (map: YamlMap, key: string, what: string): Promise<Buffer | undefined> => {
    const data = stringField(map, `${key}-data`);
    if (data !== undefined) return decodeBase64(data) ?? fail(`${what}: ${key}-data is not valid base64`);
    const file = stringField(map, key);
    if (file === undefined) return undefined;
    return readRequired(isAbsolute(file) ? file : resolve(base, file), flag, `${what} ${key}`);
  };

  const ca = await material(cluster, 'certificate-authority', `cluster ${JSON.stringify(clusterName)}`);
  const cert = await material(user, 'client-certificate', `user ${JSON.stringify(userName)}`);
  const key = await material(user, 'client-key', `user ${JSON.stringify(userName)}`);
  if ((cert === undefined) !== (key === undefined)) {
    fail(`user ${JSON.stringify(userName)}: client-certificate and client-key must be given together`);
  }
  const serverName = stringField(cluster, 'tls-server-name');
  const namespace = stringField(context, 'namespace');

  return {
    server,
    source: 'kubeconfig',
    kubeconfigPath: resolve(path),
    context: contextName,
    ...(namespace ? { namespace } : {}),
    tls: {
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
      insecureSkipVerify: cluster['insecure-skip-tls-verify'] === true,
      ...(serverName ? { serverName } : {}),
    },
    credentials: credentialsOf(user, base),
  };
}

function credentialsOf(user: YamlMap, base: string): Credentials {
  const token = stringField(user, 'token');
  if (token) return { kind: 'token', token };
  const tokenFile = stringField(user, 'tokenFile');
  if (tokenFile) return { kind: 'tokenFile', path: isAbsolute(tokenFile) ? tokenFile : resolve(base, tokenFile) };
  const username = stringField(user, 'username');
  const password = stringField(user, 'password');
  if (username !== undefined && password !== undefined) return { kind: 'basic', username, password };
  return { kind: 'none' };
}

function isMap(value: unknown): value is YamlMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(map: YamlMap, key: string): string | undefined {
  const value = map[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** kubeconfig lists entries as `- name: x` + `<inner>: {...}`. */
function named(doc: YamlMap, list: string, inner: string, name: string): YamlMap | undefined {
  const entries = doc[list];
  if (!Array.isArray(entries)) return undefined;
  for (const entry of entries) {
    if (isMap(entry) && entry['name'] === name) return isMap(entry[inner]) ? entry[inner] : {};
  }
  return undefined;
}

function decodeBase64(data: string): Buffer | undefined {
  const compact = data.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) return undefined;
  return Buffer.from(compact, 'base64');
}
