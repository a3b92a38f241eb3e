import type http from 'node:http';
import type https from 'node:https';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { ApiError } from '@kr/errors';
import type { ClientConfig } from '../config/kubeconfig.js';

/**
 * HTTP(S) to the API server on Node's own http/https modules.
 *
 * Why not client-node's Watch/KubeConfig: its watch module pulls in undici and part of
 * the generated API (~25 MB RSS measured), its config module the whole API (~60 MB).
 * Node's https module gives direct control of CA / client certificates / SNI per agent
 * (the built-in fetch cannot take TLS options without undici's Agent class) and streams
 * watch responses as plain readable streams.
 * The module is loaded on first use (node:https costs ~6.5 MB RSS, node:http ~3 MB), so
 * merely importing @kr/k8s costs almost nothing. Both are loaded with require(), never
 * `import`: building an ES module namespace of node:http reads every export, whose lazy
 * getters (WebSocket, fetch classes) load Node's bundled undici (~9.5 MB RSS in an empty
 * process, ~2 MB in a controller; test/src/lean-runtime.test.ts keeps it out).
 */
const requireBuiltin = createRequire(import.meta.url);
export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the server URL, starting with `/`. */
  readonly path: string;
  readonly query?: Query;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

export interface TransportOptions {
  readonly userAgent?: string;
  /** How long a token file's content is reused before it is read again (default 60 s, as client-go). */
  readonly tokenCacheMs?: number;
}

interface Connector {
  readonly request: typeof http.request | typeof https.request;
  readonly agent: http.Agent;
}

export class Transport {
  private readonly base: URL;
  private connector: Promise<Connector> | undefined;
  private agent: http.Agent | undefined;
  private token: { value: string; readAt: number } | undefined;

  constructor(
    readonly config: ClientConfig,
    private readonly options: TransportOptions = {},
  ) {
    this.base = new URL(config.server);
  }

  private connect(): Promise<Connector> {
    this.connector ??= (async () => {
      const keepAlive = { keepAlive: true, keepAliveMsecs: 30_000 };
      const tls = this.config.tls;
      if (this.base.protocol === 'https:') {
        const tlsHttp = requireBuiltin('node:https') as typeof https;
        this.agent = new tlsHttp.Agent({
          ...keepAlive,
          ...(tls.ca ? { ca: tls.ca } : {}),
          ...(tls.cert ? { cert: tls.cert } : {}),
          ...(tls.key ? { key: tls.key } : {}),
          ...(tls.serverName ? { servername: tls.serverName } : {}),
          rejectUnauthorized: !tls.insecureSkipVerify,
        });
        return { request: tlsHttp.request, agent: this.agent };
      }
      const plainHttp = requireBuiltin('node:http') as typeof http;
      this.agent = new plainHttp.Agent(keepAlive);
      return { request: plainHttp.request, agent: this.agent };
    })();
    return this.connector;
  }

  /** A short description for error messages: `GET /api/v1/nodes`. */
  static describe(req: HttpRequest): string {
    return `${req.method} ${req.path}`;
  }

  url(path: string, query: Query = {}): URL {
    const url = new URL(this.base.toString());
    url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  /** Sends a request; resolves with the response once headers arrive (any status). */
  async open(req: HttpRequest): Promise<http.IncomingMessage> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.options.userAgent ?? 'kube-router-ts',
    };
    const auth = await this.authorization();
    if (auth) headers['authorization'] = auth;
    let payload: string | undefined;
    if (req.body !== undefined) {
      payload = typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
      headers['content-type'] = req.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const url = this.url(req.path, req.query);
    const { request: send, agent } = await this.connect();
    return new Promise((resolvePromise, reject) => {
      const request = send(url, {
        method: req.method,
        headers,
        agent,
        ...(req.signal ? { signal: req.signal } : {}),
      });
      request.once('response', resolvePromise);
      request.once('error', (err) => {
        reject(new ApiError(`${Transport.describe(req)} to ${this.base.host}: ${err.message}`, undefined, { cause: err }));
      });
      request.end(payload);
    });
  }

  /** Drops idle keep-alive sockets; in-flight requests are ended by their signals. */
  close(): void {
    this.agent?.destroy();
  }

  private async authorization(): Promise<string | undefined> {
    const creds = this.config.credentials;
    switch (creds.kind) {
      case 'none':
        return undefined;
      case 'token':
        return `Bearer ${creds.token}`;
      case 'basic':
        return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      case 'tokenFile': {
        const maxAge = this.options.tokenCacheMs ?? 60_000;
        if (!this.token || Date.now() - this.token.readAt > maxAge) {
          try {
            this.token = { value: (await readFile(creds.path, 'utf8')).trim(), readAt: Date.now() };
          } catch (err) {
            // A rotation in progress can briefly remove the file: keep the last token if any.
            if (!this.token) throw new ApiError(`cannot read token file ${creds.path}: ${(err as Error).message}`, undefined, { cause: err });
          }
        }
        return `Bearer ${this.token.value}`;
      }
    }
  }
}

/** Reads a whole response body as text. */
export async function readBody(res: http.IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  let text = '';
  for await (const chunk of res) text += chunk as string;
  return text;
}
