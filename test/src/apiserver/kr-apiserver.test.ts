// The kr-apiserver launcher (test/bin/kr-apiserver.mjs, running the built simulator in
// test/dist): flags, the ready line, a kubeconfig, unix socket, clean stop on SIGTERM,
// exit 2 on bad flags.
//
// Test IP plan: services fd01::/108, pods fd00::/108 with /117 per node (k0s' IPv6 defaults).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from './testing/helpers.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'kr-apiserver.mjs');
let dir: string | undefined;

afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('kr-apiserver', () => {
  it('serves on TCP and a unix socket, writes a kubeconfig, allocates with the given flags, and stops on SIGTERM', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kr-apiserver-bin-'));
    const socketPath = join(dir, 'api.sock');
    const child = spawn(
      process.execPath,
      [BIN, '--service-cidrs', 'fd01::/108', '--cluster-cidrs', 'fd00::/108', '--node-cidr-mask-size-ipv6', '117', '--listen', '127.0.0.1:0', '--listen-unix', socketPath, '--kubeconfig', join(dir, 'kubeconfig')],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const [line] = (await once(createInterface(child.stdout), 'line')) as [string];
      const ready = JSON.parse(line) as { ready: boolean; urls: string[]; sockets: string[] };
      expect(ready.ready).toBe(true);
      expect(ready.sockets).toEqual([socketPath]);
      const url = ready.urls[0] as string;
      expect(await readFile(join(dir, 'kubeconfig'), 'utf8')).toContain(`server: "${url}"`);
      expect((await request({ url }, 'GET', '/version')).json()).toMatchObject({ major: '1', minor: '32' });
      const node = await request({ socketPath }, 'POST', '/api/v1/nodes', { metadata: { name: 'n1' } });
      expect(node.status).toBe(201);
      const kubernetes = (await request({ url }, 'GET', '/api/v1/namespaces/default/services/kubernetes')).json<{ spec: { clusterIPs: string[] } }>();
      expect(kubernetes.spec.clusterIPs).toEqual(['fd01::1']);
      const allocated = await (async () => {
        for (let i = 0; i < 100; i++) {
          const spec = (await request({ url }, 'GET', '/api/v1/nodes/n1')).json<{ spec: { podCIDRs?: string[] } }>().spec;
          if (spec.podCIDRs) return spec.podCIDRs;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        return undefined;
      })();
      expect(allocated).toEqual(['fd00::/117']);
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });

  it('exits 2 with usage on bad flags', async () => {
    const child = spawn(process.execPath, [BIN, '--service-cidrs', '10.96.0.0/16,10.97.0.0/16', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(stderr).toContain('kr-apiserver: --service-cidrs: two CIDRs must be of different families (dual-stack)');
    expect(stderr).toContain('usage: kr-apiserver');
  });
});
