// Finds the node's network configuration the way container runtimes (libcni's
// ConfFiles + LoadConfList) do: the lexically first .conflist/.conf/.json file in the
// configuration directory; a single-plugin .conf becomes a one-plugin list.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '@kr/errors';

export type PluginConfig = Readonly<Record<string, unknown>> & { readonly type: string };

export interface NetworkConfigList {
  readonly path: string;
  readonly name: string;
  readonly cniVersion: string;
  readonly plugins: readonly PluginConfig[];
}

const EXTENSIONS = ['.conflist', '.conf', '.json'];

/** The configuration in `dir`, or undefined while there is none (the network is not ready). */
export async function loadNetworkConfig(dir: string): Promise<NetworkConfigList | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError('cni conf dir', `cannot read ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const file = names
    .filter((n) => !n.startsWith('.') && EXTENSIONS.some((e) => n.endsWith(e)))
    .sort()
    .at(0);
  if (file === undefined) return undefined;
  const path = join(dir, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    // Replaced between readdir and open (writers rename into place): not ready yet.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parseNetworkConfig(path, text);
}

export function parseNetworkConfig(path: string, text: string): NetworkConfigList {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError('cni config', `${path} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const isPlugin = (p: unknown): p is PluginConfig => typeof p === 'object' && p !== null && typeof (p as { type?: unknown }).type === 'string';
  const cniVersion = typeof value['cniVersion'] === 'string' ? value['cniVersion'] : '0.3.0';
  const name = typeof value['name'] === 'string' ? value['name'] : '';
  if (Array.isArray(value['plugins'])) {
    const plugins = value['plugins'] as unknown[];
    if (plugins.length === 0 || !plugins.every(isPlugin)) throw new ConfigError('cni config', `${path}: "plugins" must be a non-empty list of objects with a "type"`);
    return { path, name, cniVersion, plugins };
  }
  if (isPlugin(value)) return { path, name, cniVersion, plugins: [value] };
  throw new ConfigError('cni config', `${path} is neither a configuration list nor a plugin configuration`);
}
