// The port list of a pod server: `8080/TCP,5353/UDP`, as containerPorts are declared.
// Shared by the server (which parses it) and the kubelet (which renders it).

export type PodProtocol = 'TCP' | 'UDP';

export interface PodPort {
  readonly port: number;
  readonly protocol: PodProtocol;
}

/** What a pod that declares no containerPorts serves (like agnhost's default 8080). */
export const DEFAULT_POD_PORTS: readonly PodPort[] = [
  { port: 8080, protocol: 'TCP' },
  { port: 8080, protocol: 'UDP' },
];

export class PortListError extends Error {
  override readonly name = 'PortListError';
}

export function parsePortList(text: string): PodPort[] {
  const ports: PodPort[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d{1,5})(?:\/(tcp|udp))?$/i.exec(item);
    const port = Number(m?.[1]);
    if (!m || port < 1 || port > 65535) throw new PortListError(`${JSON.stringify(item)} is not PORT/TCP or PORT/UDP (port 1-65535)`);
    const protocol = (m[2]?.toUpperCase() ?? 'TCP') as PodProtocol;
    if (!ports.some((p) => p.port === port && p.protocol === protocol)) ports.push({ port, protocol });
  }
  if (ports.length === 0) throw new PortListError('no ports given');
  return ports;
}

export function formatPortList(ports: readonly PodPort[]): string {
  return ports.map((p) => `${p.port}/${p.protocol}`).join(',');
}
