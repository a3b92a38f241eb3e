// Flags every `kr` command takes, and what the commands write to.
import { CONTROLLER_PORTS, CONTROLLERS, type FlagSpec } from '@kr/agent';
import type { SectionName } from '@kr/bus';

export const COMMON = [
  { name: 'nats-url', type: 'string', default: 'nats://127.0.0.1:4222', help: 'URL of the node-local NATS server' },
  { name: 'timeout', type: 'duration', default: 3_000, help: 'How long to wait for the bus and each controller' },
  { name: 'json', type: 'bool', default: false, help: 'Print JSON instead of a table' },
  ...CONTROLLERS.map(
    (c) =>
      ({
        name: `admin-${c}`,
        type: 'string',
        default: `127.0.0.1:${CONTROLLER_PORTS[c].admin}`,
        help: `Admin API address of the ${c} controller`,
      }) as const,
  ),
] as const satisfies readonly FlagSpec[];

export type Out = { out: (s: string) => void; err: (s: string) => void };

export function adminAddresses(values: Record<string, unknown>): Record<SectionName, string> {
  return Object.fromEntries(CONTROLLERS.map((c) => [c, String(values[`admin-${c}`])])) as Record<SectionName, string>;
}
