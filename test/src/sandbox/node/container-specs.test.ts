// The DaemonSet's containers as the node agent runs them: the real manifest
// (deploy/kube-router-ts.yaml) rendered for each stack. Pure.
//
// Test IP plan: node1 198.18.0.11 / fd42:198:18:0::11 (fabric subnet 0).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@kr/errors';
import type { SandboxClusterConfig, SandboxHost } from './cluster-config.js';
import { containerSpecs } from './container-specs.js';
import { STACK_FAMILIES } from './cluster-config.js';
import { parseDaemonSetContainers, readDaemonSetContainers } from './manifest.js';
import { sandboxNodePaths } from './paths.js';
import { BINARIES } from './testing/build.js';
import { stackPlan } from './testing/fixtures.js';

const REPO = BINARIES.repoRoot;
const STATE = '/srv/repo/.sandbox';
const NODE24 = '/opt/node24/bin/node';

function cluster(stack: SandboxClusterConfig['stack'], overrides: Partial<SandboxClusterConfig> = {}): SandboxClusterConfig {
  const plan = stackPlan(stack);
  return {
    version: 1,
    repoRoot: '/srv/repo',
    stateDir: STATE,
    stack,
    families: plan.families,
    clusterCidrs: plan.clusterCidrs,
    serviceCidrs: plan.serviceCidrs,
    nodeCidrMaskSizeIPv4: 24,
    nodeCidrMaskSizeIPv6: 64,
    subnets: [{ index: 0, ipv4: '198.18.0.0/24', ipv6: 'fd42:198:18:0::/64' }],
    nodes: [node(stack)],
    externals: [],
    controllers: ['cni', 'router', 'proxy', 'firewall'],
    extraFlags: {},
    api: { url: 'http://127.0.0.1:40000', socket: `${STATE}/apiserver.sock` },
    ...overrides,
  };
}

function node(stack: SandboxClusterConfig['stack']): SandboxHost {
  const families = STACK_FAMILIES[stack];
  return {
    name: 'node1',
    netns: 'krsbx-node1',
    subnet: 0,
    addresses: { ...(families.includes('ipv4') ? { ipv4: '198.18.0.11' } : {}), ...(families.includes('ipv6') ? { ipv6: 'fd42:198:18:0::11' } : {}) },
  };
}

const templates = await readDaemonSetContainers(join(REPO, 'deploy', 'kube-router-ts.yaml'));
const paths = sandboxNodePaths(STATE, 'node1');

describe('containerSpecs (the real DaemonSet manifest)', () => {
  it.each([
    { stack: 'ipv4', v4: true, v6: false },
    { stack: 'ipv6', v4: false, v6: true },
    { stack: 'dual', v4: true, v6: true },
    { stack: 'dual-v6', v4: true, v6: true },
  ] as const)('$stack: every container with the manifest command, then the sandbox flags', ({ stack, v4, v6 }) => {
    const specs = containerSpecs({ config: cluster(stack), node: node(stack), templates, paths, execPath: NODE24 });
    const sandboxFlags = ['--master=http://127.0.0.1:6443', '--hostname-override=node1', `--enable-ipv4=${v4}`, `--enable-ipv6=${v6}`];
    expect(specs).toEqual([
      {
        name: 'nats',
        argv: ['nats-server', '--addr', '127.0.0.1', '--port', '4222', '--jetstream', '--store_dir', `${STATE}/nodes/node1/nats`],
        env: {},
        logFile: `${STATE}/nodes/node1/logs/nats.log`,
      },
      { name: 'gobgp', argv: ['gobgpd', '--api-hosts=127.0.0.1:50051', '--log-plain', '--pprof-disable'], env: {}, logFile: `${STATE}/nodes/node1/logs/gobgp.log` },
      {
        name: 'cni',
        argv: [NODE24, '/srv/repo/services/cni/bin/kr-cni.js', '--enable-ipv4=true', '--enable-ipv6=true', '--metrics-port=8083', ...sandboxFlags, `--cni-conf-file=${STATE}/nodes/node1/cni/net.d/10-kuberouter.conflist`],
        env: { NODE_NAME: 'node1' },
        logFile: `${STATE}/nodes/node1/logs/cni.log`,
      },
      ...(['router', 'proxy', 'firewall'] as const).map((c, i) => ({
        name: c,
        // The router tunnels with vxlan: this kernel has no ipip (kube-router's default).
        argv: [NODE24, `/srv/repo/services/${c}/bin/kr-${c}.js`, '--enable-ipv4=true', '--enable-ipv6=true', `--metrics-port=${8080 + i}`, ...sandboxFlags, ...(c === 'router' ? ['--overlay-encap=vxlan'] : [])],
        env: { NODE_NAME: 'node1' },
        logFile: `${STATE}/nodes/node1/logs/${c}.log`,
      })),
    ]);
  });

  it('runs only the listed controllers (nats and gobgp always), the user flags last', () => {
    const specs = containerSpecs({
      config: cluster('dual', { controllers: ['proxy'], extraFlags: { proxy: ['--proxy-mode=ipvs', '--v=3'], gobgp: ['--log-level=debug'] } }),
      node: node('dual'),
      templates,
      paths,
      execPath: NODE24,
    });
    expect(specs.map((s) => s.name)).toEqual(['nats', 'gobgp', 'proxy']);
    expect(specs[1]!.argv.at(-1)).toBe('--log-level=debug');
    expect(specs[2]!.argv.slice(-3)).toEqual(['--enable-ipv6=true', '--proxy-mode=ipvs', '--v=3']);
  });

  it.each([
    {
      what: 'a controller missing from the manifest',
      yaml: 'kind: DaemonSet\nspec: {template: {spec: {containers: [{name: nats, command: [sleep, "9"]}, {name: gobgp, command: [sleep, "9"]}]}}}',
      message: /the DaemonSet has no container named cni/,
    },
    {
      what: 'an env fieldRef the sandbox cannot fill',
      yaml: 'kind: DaemonSet\nspec: {template: {spec: {containers: [{name: nats, command: [x]}, {name: gobgp, command: [x]}, {name: cni, command: [kr-cni], env: [{name: IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}]}]}}}',
      message: /env IP uses fieldRef status.podIP/,
    },
    { what: 'no DaemonSet', yaml: 'kind: ServiceAccount\n', message: /holds no DaemonSet/ },
  ])('refuses $what with a ConfigError', ({ yaml, message }) => {
    const render = () =>
      containerSpecs({ config: cluster('ipv4', { controllers: ['cni'] }), node: node('ipv4'), templates: parseDaemonSetContainers(yaml, 'test.yaml'), paths, execPath: NODE24 });
    expect(render).toThrow(ConfigError);
    expect(render).toThrow(message);
  });
});
