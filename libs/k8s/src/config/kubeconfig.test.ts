import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '@kr/errors';
import { loadClientConfig, type LoadClientConfigOptions } from './kubeconfig.js';

// Test IP plan (no traffic: these tests only read files):
//   IPv4 API server: 192.0.2.1 (TEST-NET-1); IPv6 API server: 2001:db8::1; simulator: http://127.0.0.1:8080

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kr-kubeconfig-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const b64 = (text: string): string => Buffer.from(text).toString('base64');

async function kubeconfig(name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, body);
  return path;
}

function config(cluster: string, user: string, extra = ''): string {
  return `apiVersion: v1
kind: Config
current-context: main
contexts:
- name: main
  context:
    cluster: c1
    user: u1
    namespace: kube-system
- name: other
  context:
    cluster: c2
    user: u1
clusters:
- name: c1
  cluster:
${cluster}
- name: c2
  cluster:
    server: https://[2001:db8::1]:6443
users:
- name: u1
  user:
${user}
${extra}`;
}

async function expectConfigError(options: LoadClientConfigOptions, reason: RegExp, flag?: string): Promise<void> {
  let caught: unknown;
  try {
    await loadClientConfig(options);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  expect((caught as ConfigError).reason).toMatch(reason);
  if (flag) expect((caught as ConfigError).flag).toBe(flag);
}

describe('kubeconfig files', () => {
  it('reads CA data and a token (IPv4 https server)', async () => {
    const path = await kubeconfig(
      'kc',
      config(`    server: https://192.0.2.1:6443/\n    certificate-authority-data: ${b64('CA-PEM')}\n    tls-server-name: api.example`, '    token: s3cret'),
    );
    const c = await loadClientConfig({ kubeconfig: path, env: {} });
    expect(c.server).toBe('https://192.0.2.1:6443');
    expect(c.source).toBe('kubeconfig');
    expect(c.context).toBe('main');
    expect(c.namespace).toBe('kube-system');
    expect(c.tls.ca?.toString()).toBe('CA-PEM');
    expect(c.tls.serverName).toBe('api.example');
    expect(c.tls.insecureSkipVerify).toBe(false);
    expect(c.credentials).toEqual({ kind: 'token', token: 's3cret' });
  });

  it('reads certificate files relative to the kubeconfig, and a token file', async () => {
    await mkdir(join(dir, 'pki'));
    await writeFile(join(dir, 'pki', 'ca.crt'), 'CA-FILE');
    await writeFile(join(dir, 'pki', 'client.crt'), 'CERT-FILE');
    await writeFile(join(dir, 'pki', 'client.key'), 'KEY-FILE');
    const path = await kubeconfig(
      'kc',
      config(
        '    server: https://[2001:db8::1]:6443\n    certificate-authority: pki/ca.crt',
        '    client-certificate: pki/client.crt\n    client-key: pki/client.key\n    tokenFile: pki/token',
      ),
    );
    const c = await loadClientConfig({ kubeconfig: path, env: {} });
    expect(c.server).toBe('https://[2001:db8::1]:6443');
    expect(c.tls.ca?.toString()).toBe('CA-FILE');
    expect(c.tls.cert?.toString()).toBe('CERT-FILE');
    expect(c.tls.key?.toString()).toBe('KEY-FILE');
    expect(c.credentials).toEqual({ kind: 'tokenFile', path: join(dir, 'pki', 'token') });
  });

  it('reads inline client certificate data and insecure-skip-tls-verify', async () => {
    const path = await kubeconfig(
      'kc',
      config(
        '    server: https://192.0.2.1:6443\n    insecure-skip-tls-verify: true',
        `    client-certificate-data: ${b64('CERT')}\n    client-key-data: ${b64('KEY')}`,
      ),
    );
    const c = await loadClientConfig({ kubeconfig: path, env: {} });
    expect(c.tls.insecureSkipVerify).toBe(true);
    expect(c.tls.cert?.toString()).toBe('CERT');
    expect(c.tls.key?.toString()).toBe('KEY');
    expect(c.credentials).toEqual({ kind: 'none' });
  });

  it('accepts a plain http server (the API simulator)', async () => {
    const path = await kubeconfig('kc', config('    server: http://127.0.0.1:8080', '    username: admin\n    password: pw'));
    const c = await loadClientConfig({ kubeconfig: path, env: {} });
    expect(c.server).toBe('http://127.0.0.1:8080');
    expect(c.credentials).toEqual({ kind: 'basic', username: 'admin', password: 'pw' });
  });

  it('--master overrides the kubeconfig server and keeps its credentials', async () => {
    const path = await kubeconfig('kc', config('    server: https://192.0.2.1:6443', '    token: s3cret'));
    const c = await loadClientConfig({ kubeconfig: path, master: 'http://127.0.0.1:8080/', env: {} });
    expect(c.server).toBe('http://127.0.0.1:8080');
    expect(c.credentials).toEqual({ kind: 'token', token: 's3cret' });
  });

  it('a context can be chosen explicitly (IPv6 server)', async () => {
    const path = await kubeconfig('kc', config('    server: https://192.0.2.1:6443', '    token: t'));
    const c = await loadClientConfig({ kubeconfig: path, context: 'other', env: {} });
    expect(c.server).toBe('https://[2001:db8::1]:6443');
    expect(c.namespace).toBeUndefined();
  });

  it('$KUBECONFIG is used when no flag is given (first path of the list)', async () => {
    const path = await kubeconfig('kc', config('    server: https://192.0.2.1:6443', '    token: t'));
    const c = await loadClientConfig({ env: { KUBECONFIG: `${path}:/nonexistent`, KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' } });
    expect(c.source).toBe('kubeconfig');
    expect(c.kubeconfigPath).toBe(path);
  });

  it.each<{ name: string; body: (dir: string) => string; reason: RegExp }>([
    { name: 'bad YAML', body: () => 'clusters: [', reason: /not valid YAML/ },
    { name: 'not a mapping', body: () => '- a\n- b', reason: /not a kubeconfig/ },
    { name: 'no current-context', body: () => 'apiVersion: v1\nkind: Config\n', reason: /no current-context/ },
    { name: 'missing context', body: () => 'current-context: nope\ncontexts: []', reason: /context "nope" not found/ },
    {
      name: 'missing cluster',
      body: () => 'current-context: a\ncontexts:\n- name: a\n  context: {cluster: x}\n',
      reason: /cluster "x" not found/,
    },
    { name: 'no server', body: () => config('    insecure-skip-tls-verify: true', '    token: t'), reason: /has no server/ },
    { name: 'bad server URL', body: () => config('    server: 192.0.2.1:6443', '    token: t'), reason: /scheme must be http or https|not a URL/ },
    { name: 'bad CA data', body: () => config('    server: https://192.0.2.1\n    certificate-authority-data: "!!!"', '    token: t'), reason: /certificate-authority-data is not valid base64/ },
    { name: 'missing CA file', body: () => config('    server: https://192.0.2.1\n    certificate-authority: nope.crt', '    token: t'), reason: /cannot read .*nope\.crt: ENOENT/ },
    { name: 'cert without key', body: () => config('    server: https://192.0.2.1', `    client-certificate-data: ${b64('C')}`), reason: /must be given together/ },
    {
      name: 'exec plugin',
      body: () => config('    server: https://192.0.2.1', '    exec:\n      command: aws'),
      reason: /exec and auth-provider credential plugins are not supported/,
    },
    { name: 'proxy-url', body: () => config('    server: https://192.0.2.1\n    proxy-url: http://proxy:3128', '    token: t'), reason: /proxy-url is not supported/ },
  ])('rejects: $name', async ({ body, reason }) => {
    const path = await kubeconfig('kc', body(dir));
    await expectConfigError({ kubeconfig: path, env: {} }, reason, '--kubeconfig');
  });

  it('rejects a missing file, naming it', async () => {
    await expectConfigError({ kubeconfig: join(dir, 'missing'), env: {} }, /cannot read kubeconfig .*missing: ENOENT/, '--kubeconfig');
  });
});

describe('--master alone', () => {
  it.each([
    { master: 'http://127.0.0.1:8080', server: 'http://127.0.0.1:8080' },
    { master: 'https://[2001:DB8::1]:6443/', server: 'https://[2001:db8::1]:6443' },
  ])('$master', async ({ master, server }) => {
    const c = await loadClientConfig({ master, env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' } });
    expect(c).toEqual({ server, source: 'master', tls: { insecureSkipVerify: false }, credentials: { kind: 'none' } });
  });

  it.each(['127.0.0.1:8080', 'ftp://x', 'http://h:1/?a=b'])('rejects %s', async (master) => {
    await expectConfigError({ master, env: {} }, /scheme|not a URL|query/, '--master');
  });
});

describe('in-cluster', () => {
  async function serviceAccount(withToken = true): Promise<string> {
    const sa = join(dir, 'sa');
    await mkdir(sa);
    if (withToken) await writeFile(join(sa, 'token'), 'sa-token\n');
    await writeFile(join(sa, 'ca.crt'), 'SA-CA');
    await writeFile(join(sa, 'namespace'), 'kube-system\n');
    return sa;
  }

  it.each([
    { host: '10.96.0.1', port: '443', server: 'https://10.96.0.1' },
    { host: '10.96.0.1', port: '6443', server: 'https://10.96.0.1:6443' },
    { host: 'fd00:96::1', port: '443', server: 'https://[fd00:96::1]' },
    { host: 'FD00:96::1', port: '6443', server: 'https://[fd00:96::1]:6443' },
  ])('$host port $port → $server', async ({ host, port, server }) => {
    const sa = await serviceAccount();
    const c = await loadClientConfig({ env: { KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: port }, serviceAccountDir: sa });
    expect(c.server).toBe(server);
    expect(c.source).toBe('in-cluster');
    expect(c.namespace).toBe('kube-system');
    expect(c.tls.ca?.toString()).toBe('SA-CA');
    expect(c.credentials).toEqual({ kind: 'tokenFile', path: join(sa, 'token') });
  });

  it('fails clearly without the token', async () => {
    const sa = await serviceAccount(false);
    await expectConfigError(
      { env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, serviceAccountDir: sa },
      /cannot read service account token .*token: ENOENT/,
      'in-cluster config',
    );
  });

  it('fails clearly without a port', async () => {
    await expectConfigError({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1' } }, /KUBERNETES_SERVICE_PORT is not/);
  });

  it('fails clearly when nothing is configured', async () => {
    await expectConfigError({ env: {} }, /no API server configured/, '--kubeconfig');
  });
});
