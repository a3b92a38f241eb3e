// The kubelet's pure parts (pod IPs in family order, served ports, status), how it finds
// the network configuration, and what exactly it hands each CNI plugin (recorded by a
// stand-in plugin script; the real plugins run in kubelet.test.ts).
//
// Test IP plan: pods 10.244.1.5 / fd00:10:244:1::5; a stray 192.0.2.9 (TEST-NET-1).
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, DataplaneError } from '@kr/errors';
import type { V1Pod } from '@kubernetes/client-node';
import { loadNetworkConfig } from './kubelet/cni-config.js';
import { CniRuntime, type CniAttachment } from './kubelet/cni-runtime.js';
import { podIPsFromResult } from './kubelet/pod-ips.js';
import { podNetnsName, servedPorts } from './kubelet/pod-spec.js';
import { podStatus, statusFingerprint } from './kubelet/pod-status.js';

const V4 = '10.244.1.5';
const V6 = 'fd00:10:244:1::5';

describe('podIPsFromResult', () => {
  const result = (addresses: string[]) => ({
    cniVersion: '0.3.0',
    interfaces: [{ name: 'kube-bridge' }, { name: 'veth1' }, { name: 'eth0', sandbox: '/run/netns/x' }],
    ips: [{ address: '10.244.1.1/24', interface: 0 }, ...addresses.map((address) => ({ address, interface: 2 }))],
  });
  it.each([
    { families: ['ipv4'], addresses: [`${V4}/24`], ips: [V4], dropped: [] },
    { families: ['ipv6'], addresses: [`${V6}/64`], ips: [V6], dropped: [] },
    { families: ['ipv4', 'ipv6'], addresses: [`${V6}/64`, `${V4}/24`], ips: [V4, V6], dropped: [] },
    { families: ['ipv6', 'ipv4'], addresses: [`${V4}/24`, `${V6}/64`], ips: [V6, V4], dropped: [] },
    { families: ['ipv4'], addresses: [`${V4}/24`, `${V6}/64`, '192.0.2.9/24'], ips: [V4], dropped: [V6, '192.0.2.9'] },
  ] as const)('$families from $addresses', ({ families, addresses, ips, dropped }) => {
    expect(podIPsFromResult(result([...addresses]), families)).toEqual({ ips, dropped });
  });

  it('reads CNI 0.2.0 results (ip4/ip6)', () => {
    expect(podIPsFromResult({ ip4: { ip: `${V4}/24` }, ip6: { ip: `${V6}/64` } }, ['ipv6', 'ipv4']).ips).toEqual([V6, V4]);
  });
});

describe('pod spec', () => {
  const pod = (ports: { containerPort: number; protocol?: string }[][]): V1Pod => ({
    metadata: { namespace: 'ns', name: 'p', uid: 'u-1' },
    spec: { containers: ports.map((p, i) => ({ name: `c${i}`, ports: p })) },
  });
  it.each([
    { what: 'no ports: agnhost-like 8080 TCP and UDP', ports: [[]], served: '8080/TCP 8080/UDP', skipped: [] },
    { what: 'every container, deduplicated', ports: [[{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }], [{ containerPort: 80 }]], served: '80/TCP 53/UDP', skipped: [] },
    { what: 'SCTP left out', ports: [[{ containerPort: 9, protocol: 'SCTP' }, { containerPort: 10 }]], served: '10/TCP', skipped: ['c0:9/SCTP'] },
    { what: 'only SCTP: the default', ports: [[{ containerPort: 9, protocol: 'SCTP' }]], served: '8080/TCP 8080/UDP', skipped: ['c0:9/SCTP'] },
  ])('$what', ({ ports, served, skipped }) => {
    const result = servedPorts(pod(ports));
    expect(result.ports.map((p) => `${p.port}/${p.protocol}`).join(' ')).toBe(served);
    expect(result.skipped).toEqual(skipped);
  });

  it('names pod namespaces krsbx-p-<10 hex>, per incarnation', () => {
    const a = podNetnsName({ namespace: 'ns', name: 'p', uid: 'u-1' });
    expect(a).toMatch(/^krsbx-p-[0-9a-f]{10}$/);
    expect(podNetnsName({ namespace: 'ns', name: 'p', uid: 'u-2' })).not.toBe(a);
  });
});

describe('podStatus', () => {
  const pod: V1Pod = { metadata: { namespace: 'ns', name: 'p' }, spec: { containers: [{ name: 'app', image: 'img' }] } };
  const at = new Date('2026-01-02T03:04:05Z');
  it('Running: IPs in order, every condition true, the container running', () => {
    const s = podStatus(pod, ['fd42::11', '198.18.0.11'], { kind: 'running', podIPs: [V6, V4], startedAt: at, ready: true, restarts: 2, pid: 42 }, at);
    expect(s).toMatchObject({
      phase: 'Running',
      hostIP: 'fd42::11',
      hostIPs: [{ ip: 'fd42::11' }, { ip: '198.18.0.11' }],
      podIP: V6,
      podIPs: [{ ip: V6 }, { ip: V4 }],
      containerStatuses: [{ name: 'app', image: 'img', ready: true, restartCount: 2, containerID: 'sandbox://42', state: { running: { startedAt: at.toISOString() } } }],
    });
    expect(s.conditions.map((c) => `${c.type}=${c.status}`)).toEqual(['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True']);
  });

  it('Pending: the reason on the unready conditions, no pod IPs', () => {
    const s = podStatus(pod, ['198.18.0.11'], { kind: 'pending', waiting: { reason: 'NetworkNotReady', message: 'no conflist' } }, at);
    expect(s.phase).toBe('Pending');
    expect(s.podIPs).toBeUndefined();
    expect(s.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'NetworkNotReady', message: 'no conflist' });
    expect(s.conditions.find((c) => c.type === 'PodScheduled')).toMatchObject({ status: 'True' });
    expect(s.containerStatuses[0]?.state).toEqual({ waiting: { reason: 'ContainerCreating', message: 'no conflist' } });
  });

  it('fingerprints ignore timestamps but see every change the kubelet makes', () => {
    const input = { kind: 'running', podIPs: [V4], startedAt: at, ready: true, restarts: 0 } as const;
    const a = statusFingerprint(podStatus(pod, ['198.18.0.11'], input, at));
    expect(statusFingerprint(podStatus(pod, ['198.18.0.11'], input, new Date()))).toBe(a);
    expect(statusFingerprint(podStatus(pod, ['198.18.0.11'], { ...input, restarts: 1 }, at))).not.toBe(a);
    expect(statusFingerprint(podStatus(pod, ['198.18.0.11'], { ...input, ready: false }, at))).not.toBe(a);
  });
});

describe('network configuration and CNI invocation', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kr-sandbox-cni-'));
    // A stand-in plugin: records its environment and stdin, answers with a result that
    // carries the call count, and fails when asked to.
    await mkdir(join(dir, 'bin'));
    const plugin = `#!/bin/sh
conf=$(cat)
n=$(ls "${dir}/calls" 2>/dev/null | wc -l)
printf '%s\\n%s\\n%s\\n%s\\n%s\\n' "$CNI_COMMAND" "$CNI_CONTAINERID" "$CNI_NETNS" "$CNI_ARGS" "$conf" > "${dir}/calls/$n-$(basename "$0")"
case "$conf" in *'"fail":true'*) echo '{"code":7,"msg":"told to fail","details":"as asked"}'; exit 1;; esac
echo '{"cniVersion":"0.3.0","interfaces":[{"name":"eth0","sandbox":"x"}],"ips":[{"address":"10.244.1.'"$n"'/24","interface":0}]}'
`;
    for (const name of ['main', 'chained', 'plain']) {
      await writeFile(join(dir, 'bin', name), plugin);
      await chmod(join(dir, 'bin', name), 0o755);
    }
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function calls(): Promise<{ file: string; command: string; containerId: string; netns: string; args: string; conf: Record<string, unknown> }[]> {
    const files = (await readdir(join(dir, 'calls'))).sort((a, b) => parseInt(a) - parseInt(b));
    return Promise.all(
      files.map(async (file) => {
        const [command, containerId, netns, args, conf] = (await readFile(join(dir, 'calls', file), 'utf8')).split('\n');
        return { file, command: command!, containerId: containerId!, netns: netns!, args: args!, conf: JSON.parse(conf!) as Record<string, unknown> };
      }),
    );
  }

  const att: CniAttachment = {
    containerId: 'uid-1',
    netnsPath: '/run/netns/kr-test-does-not-exist',
    ifName: 'eth0',
    podNamespace: 'ns',
    podName: 'p',
    podUid: 'uid-1',
    portMappings: [{ hostPort: 8443, containerPort: 443, protocol: 'tcp' }],
  };

  it('finds the lexically first configuration; none is "not ready"; a .conf becomes a list', async () => {
    const conf = join(dir, 'net.d');
    expect(await loadNetworkConfig(conf)).toBeUndefined();
    await mkdir(conf);
    await writeFile(join(conf, 'README'), 'not a configuration');
    expect(await loadNetworkConfig(conf)).toBeUndefined();
    await writeFile(join(conf, '20-other.conf'), JSON.stringify({ cniVersion: '0.4.0', name: 'single', type: 'plain' }));
    expect(await loadNetworkConfig(conf)).toMatchObject({ name: 'single', cniVersion: '0.4.0', plugins: [{ type: 'plain' }] });
    await writeFile(join(conf, '10-kuberouter.conflist'), JSON.stringify({ cniVersion: '0.3.0', name: 'mynet', plugins: [{ type: 'main' }, { type: 'chained' }] }));
    expect((await loadNetworkConfig(conf))?.path).toBe(join(conf, '10-kuberouter.conflist'));
    await writeFile(join(conf, '00-broken.conflist'), '{');
    await expect(loadNetworkConfig(conf)).rejects.toThrow(ConfigError);
  });

  it('ADD in order with name, cniVersion, prevResult, forced dataDir and declared runtime config; DEL in reverse', async () => {
    await mkdir(join(dir, 'calls'));
    const list = {
      path: 'x',
      name: 'mynet',
      cniVersion: '0.3.0',
      plugins: [
        { type: 'main', ipam: { type: 'host-local', dataDir: '/var/lib/cni/networks', ranges: [[{ subnet: '10.244.1.0/24' }]] } },
        { type: 'chained', capabilities: { portMappings: true, bandwidth: true } },
      ],
    };
    const cni = new CniRuntime({ binDir: join(dir, 'bin'), ipamDataDir: join(dir, 'data') });
    const result = await cni.add(list, att);
    expect(result.ips?.[0]?.address).toBe('10.244.1.1/24'); // the last plugin's result
    await cni.del(list, att, result);
    const [add1, add2, del2, del1] = await calls();
    expect([add1, add2, del2, del1].map((c) => `${c!.command} ${c!.file.split('-')[1]}`)).toEqual(['ADD main', 'ADD chained', 'DEL chained', 'DEL main']);
    expect(add1).toMatchObject({ containerId: 'uid-1', netns: att.netnsPath, args: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;K8S_POD_INFRA_CONTAINER_ID=uid-1;K8S_POD_UID=uid-1' });
    expect(add1!.conf).toEqual({ type: 'main', name: 'mynet', cniVersion: '0.3.0', ipam: { type: 'host-local', dataDir: join(dir, 'data'), ranges: [[{ subnet: '10.244.1.0/24' }]] } });
    expect(add2!.conf).toEqual({
      type: 'chained',
      name: 'mynet',
      cniVersion: '0.3.0',
      capabilities: { portMappings: true, bandwidth: true },
      prevResult: { cniVersion: '0.3.0', interfaces: [{ name: 'eth0', sandbox: 'x' }], ips: [{ address: '10.244.1.0/24', interface: 0 }] },
      runtimeConfig: { portMappings: att.portMappings },
    });
    // DEL: the namespace is gone, so CNI_NETNS is empty; prevResult is the ADD's result.
    expect(del1).toMatchObject({ netns: '' });
    expect(del1!.conf['prevResult']).toEqual(result);
  });

  it('a failing plugin is a DataplaneError with its message', async () => {
    const cni = new CniRuntime({ binDir: join(dir, 'bin'), ipamDataDir: join(dir, 'data') });
    const list = { path: 'x', name: 'n', cniVersion: '0.3.0', plugins: [{ type: 'plain', fail: true }] };
    const err = await cni.add(list, att).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataplaneError);
    expect((err as Error).message).toBe('CNI ADD plain exited 1: told to fail: as asked (CNI error 7)');
  });
});
