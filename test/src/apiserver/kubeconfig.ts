// A kubeconfig for kubectl (or any client) pointing at the simulator: plain HTTP, no
// credentials, one context named kr-simulator.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export const SIMULATOR_CONTEXT = 'kr-simulator';

export function kubeconfigText(serverUrl: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${SIMULATOR_CONTEXT}`,
    '  cluster:',
    `    server: ${JSON.stringify(serverUrl)}`,
    'contexts:',
    `- name: ${SIMULATOR_CONTEXT}`,
    '  context:',
    `    cluster: ${SIMULATOR_CONTEXT}`,
    `    user: ${SIMULATOR_CONTEXT}`,
    '    namespace: default',
    `current-context: ${SIMULATOR_CONTEXT}`,
    'users:',
    `- name: ${SIMULATOR_CONTEXT}`,
    '  user: {}',
    '',
  ].join('\n');
}

/** Writes the kubeconfig (mode 0600, as kubectl writes its own) and returns its path. */
export async function writeKubeconfig(path: string, serverUrl: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, kubeconfigText(serverUrl), { mode: 0o600 });
  return path;
}
