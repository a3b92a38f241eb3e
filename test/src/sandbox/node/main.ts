// The sandbox node agent: one process per node, started by `kr-sandbox up` inside the
// node's namespace as
//   ip netns exec krsbx-node<i> node test/dist/sandbox/node/main.js --config .sandbox/cluster.json --node node<i>
// It wires three parts and does nothing else: the API relay (127.0.0.1:6443 → the
// simulator's unix socket), the DaemonSet's containers (restart always), and the
// kubelet. Logs are JSON lines on stdout (the CLI sends them to agent.log). Exit codes:
// 0 after SIGTERM/SIGINT, 1 when start-up fails, 2 on bad arguments or configuration.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@kr/errors';
import { KubeClient, loadClientConfig } from '@kr/k8s';
import { createLogger } from '@kr/observability';
import { startApiRelay } from './api-relay.js';
import { AgentStatusWriter, containerStatuses } from './agent-status.js';
import { NODE_API_PORT } from './cluster-config.js';
import { containerSpecs } from './container-specs.js';
import { ContainerSet } from './containers.js';
import { CniRuntime } from './kubelet/cni-runtime.js';
import { Kubelet } from './kubelet/kubelet.js';
import { AGENT_USAGE, findNode, loadClusterConfig, manifestPath, parseAgentArgs } from './load-config.js';
import { readDaemonSetContainers } from './manifest.js';
import { NamedNetns } from './named-netns.js';
import { sandboxNodePaths } from './paths.js';

const POD_SERVER_SCRIPT = fileURLToPath(new URL('../pod/server.js', import.meta.url));
const CONTAINER_STOP_GRACE_MS = 5_000;

async function main(): Promise<number> {
  // Installed first, so a stop during start-up still cleans up what was started.
  const stopRequested = Promise.withResolvers<NodeJS.Signals>();
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      stopping = true;
      stopRequested.resolve(signal);
    });
  }

  const { configPath, node: nodeName } = parseAgentArgs(process.argv.slice(2));
  const config = await loadClusterConfig(configPath);
  const node = findNode(config, nodeName);
  const paths = sandboxNodePaths(config.stateDir, node.name);
  const root = createLogger({ name: 'kr-sandbox-agent', node: node.name });
  const log = root.logger;
  for (const dir of [paths.logsDir, paths.cniConfDir, paths.cniDataDir, paths.natsDir, paths.podLogsDir]) await mkdir(dir, { recursive: true });
  const specs = containerSpecs({ config, node, templates: await readDaemonSetContainers(manifestPath(config)), paths, execPath: process.execPath });

  const cleanups: (() => Promise<void> | void)[] = [];
  const status = new AgentStatusWriter(paths.agentJson, (err) => log.error({ err, file: paths.agentJson }, 'cannot write the agent status'));
  let ready = false;
  const publish = () => status.write({ pid: process.pid, ready, containers: containerStatuses(containers.states()) });
  const containers = new ContainerSet(specs, { log: root.child('containers'), onChange: () => void publish() });
  try {
    const netns = NamedNetns.open();
    cleanups.push(() => netns.close());
    if (!netns.viaHostMountNamespace) log.info('pod namespaces are created in this process\'s own mount namespace');
    const relay = await startApiRelay({ host: '127.0.0.1', port: NODE_API_PORT, socketPath: config.api.socket, log: root.child('relay') });
    cleanups.push(() => relay.close());
    cleanups.push(() => containers.stop(CONTAINER_STOP_GRACE_MS));
    await containers.start();
    const client = new KubeClient(await loadClientConfig({ master: `http://127.0.0.1:${relay.port}` }), { userAgent: 'kr-sandbox-kubelet' });
    cleanups.push(() => client.close());
    const kubelet = new Kubelet({
      client,
      node,
      families: config.families,
      cniConfDir: paths.cniConfDir,
      cni: new CniRuntime({ ipamDataDir: paths.cniDataDir }),
      netns,
      podServer: { execPath: process.execPath, script: POD_SERVER_SCRIPT },
      podLogsDir: paths.podLogsDir,
      ...(config.podNetnsPrefix !== undefined ? { podNetnsPrefix: config.podNetnsPrefix } : {}),
      log: root.child('kubelet'),
    });
    cleanups.push(() => kubelet.stop());
    await Promise.race([kubelet.start(), stopRequested.promise]);
    if (!stopping) {
      ready = true;
      await publish();
      log.info({ containers: specs.map((s) => s.name), api: `127.0.0.1:${relay.port}` }, 'node agent ready');
    }
    const signal = await stopRequested.promise;
    log.info({ signal }, 'stopping');
    return 0;
  } catch (err) {
    log.fatal({ err }, 'node agent failed');
    return 1;
  } finally {
    ready = false;
    // Kubelet, then containers, then the relay they talk through.
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        log.error({ err }, 'clean-up step failed');
      }
    }
    await publish();
  }
}

try {
  process.exitCode = await main();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`kr-sandbox-agent: ${err.message}\n${AGENT_USAGE}\n`);
  process.exitCode = 2;
}
