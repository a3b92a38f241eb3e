// Reads the DaemonSet's containers from deploy/kube-router-ts.yaml, the single source of
// every container's command and flags (the sandbox adds only its own flags after them).
import { readFile } from 'node:fs/promises';
import { ConfigError } from '@kr/errors';
import { parseAllDocuments } from 'yaml';

/** An environment variable of a container: a literal value or a downward-API field. */
export interface ContainerEnv {
  readonly name: string;
  readonly value?: string;
  readonly fieldPath?: string;
}

export interface ContainerTemplate {
  readonly name: string;
  /** `command` then `args`, as the container runtime joins them. */
  readonly argv: readonly string[];
  readonly env: readonly ContainerEnv[];
}

type Json = Record<string, unknown>;

function strings(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new ConfigError('manifest', `${where} must be a list of strings`);
  return value;
}

/** Parses the text of a (multi-document) manifest; the first DaemonSet wins. */
export function parseDaemonSetContainers(text: string, source: string): ContainerTemplate[] {
  const docs = parseAllDocuments(text);
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) throw new ConfigError('manifest', `${source}: ${doc.errors[0]!.message}`);
    const obj = doc.toJS() as Json | null;
    if (obj?.['kind'] !== 'DaemonSet') continue;
    const containers = (((obj['spec'] as Json | undefined)?.['template'] as Json | undefined)?.['spec'] as Json | undefined)?.['containers'];
    if (!Array.isArray(containers)) throw new ConfigError('manifest', `${source}: the DaemonSet has no spec.template.spec.containers`);
    return containers.map((c: Json, i) => {
      const name = c['name'];
      if (typeof name !== 'string') throw new ConfigError('manifest', `${source}: container ${i} has no name`);
      const argv = [...strings(c['command'], `${name}.command`), ...strings(c['args'], `${name}.args`)];
      if (argv.length === 0) throw new ConfigError('manifest', `${source}: container ${name} has no command`);
      const env = (Array.isArray(c['env']) ? (c['env'] as Json[]) : []).map((e) => ({
        name: String(e['name']),
        ...(typeof e['value'] === 'string' ? { value: e['value'] } : {}),
        ...(typeof ((e['valueFrom'] as Json | undefined)?.['fieldRef'] as Json | undefined)?.['fieldPath'] === 'string'
          ? { fieldPath: ((e['valueFrom'] as Json)['fieldRef'] as Json)['fieldPath'] as string }
          : {}),
      }));
      return { name, argv, env };
    });
  }
  throw new ConfigError('manifest', `${source} holds no DaemonSet`);
}

export async function readDaemonSetContainers(path: string): Promise<ContainerTemplate[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError('manifest', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseDaemonSetContainers(text, path);
}
