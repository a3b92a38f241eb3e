// Pods for the end-to-end tests: pinned to nodes, answering on 8080 TCP and UDP.

export const POD_PORT = 8080;

/** A namespace and `perNode` pods on each node, named `<node>-a`, `<node>-b`, ... */
export function podsManifest(namespace: string, nodes: readonly string[], perNode = 2): string {
  const pods = nodes.flatMap((node) =>
    Array.from({ length: perNode }, (_, i) => {
      const name = `${node}-${String.fromCharCode(97 + i)}`;
      return `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${namespace}, labels: {app: ${namespace}}}
spec:
  nodeName: ${node}
  containers: [{name: server, image: sandbox/pod-server, ports: [{containerPort: ${POD_PORT}, protocol: TCP}, {containerPort: ${POD_PORT}, protocol: UDP}]}]`;
    }),
  );
  return [`apiVersion: v1\nkind: Namespace\nmetadata: {name: ${namespace}}`, ...pods].join('\n---\n');
}
