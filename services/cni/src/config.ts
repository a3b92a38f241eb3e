// The CNI controller's own flags. Names and defaults follow kube-router: --auto-mtu,
// --hairpin-mode and --cleanup-config are kube-router flags, and the configuration path
// is kube-router's KUBE_ROUTER_CNI_CONF_FILE setting made a flag (the variable still
// sets the default, so kube-router's manifests carry over).
//
// --hairpin-mode is a service-proxy flag in kube-router ("add iptables rules for every
// Service endpoint to support hairpin traffic"), and its documentation asks operators to
// also set "hairpinMode": true in the CNI configuration by hand. Here the CNI controller
// honours the same flag and writes it, so one flag on every container does both.
import { basename, dirname, extname, isAbsolute, join } from 'node:path';
import type { FlagSpec, FlagValues } from '@kr/agent';

/** kube-router's manifests' path (its binary defaulted to the legacy `.conf` form). */
export const DEFAULT_CNI_CONF_FILE = '/etc/cni/net.d/10-kuberouter.conflist';

const CONF_EXTENSIONS = ['.conflist', '.conf', '.json'];

function checkConfFile(path: string): string | undefined {
  if (!isAbsolute(path)) return 'must be an absolute path';
  if (!CONF_EXTENSIONS.includes(extname(path))) {
    // Container runtimes load only these extensions from the CNI directory.
    return `must end in ${CONF_EXTENSIONS.join(', ')} (container runtimes ignore other files)`;
  }
  if (basename(path).startsWith('.')) return 'must not be a hidden file (container runtimes skip them)';
  return undefined;
}

export function cniFlagSpecs() {
  return [
    {
      name: 'cni-conf-file',
      type: 'string',
      default: process.env['KUBE_ROUTER_CNI_CONF_FILE'] || DEFAULT_CNI_CONF_FILE,
      help: 'CNI configuration list to write (defaults to $KUBE_ROUTER_CNI_CONF_FILE); a legacy single-plugin .conf at the same path is converted into a .conflist',
      check: checkConfFile,
    },
    {
      name: 'auto-mtu',
      type: 'bool',
      default: true,
      help: "Auto detect and set the largest possible MTU for kube-bridge and pod interfaces: the node interface's MTU minus the overlay overhead the router publishes",
    },
    {
      name: 'hairpin-mode',
      type: 'bool',
      default: false,
      help: 'Set hairpinMode in the CNI bridge configuration so pods can reach themselves through a Service (false leaves the configured value alone)',
    },
    {
      name: 'cleanup-config',
      type: 'bool',
      default: false,
      help: 'Remove the CNI configuration this controller wrote and the kube-bridge interface, then exit',
    },
  ] as const satisfies readonly FlagSpec[];
}

export type CniFlagValues = FlagValues<ReturnType<typeof cniFlagSpecs>>;

/** Where the configuration lives: the list we write, and the legacy file it may replace. */
export interface CniConfPaths {
  /** The `.conflist` (or `.json`) file this controller writes. */
  readonly target: string;
  /**
   * A single-plugin `.conf` with the same base name. Container runtimes load the
   * lexically first file, and `10-kuberouter.conf` sorts before `10-kuberouter.conflist`,
   * so a leftover legacy file would shadow ours: it is converted and then removed.
   */
  readonly legacy?: string;
}

export interface CniSettings {
  readonly paths: CniConfPaths;
  readonly autoMtu: boolean;
  /** True forces hairpinMode on; false leaves the file's value (kube-router never wrote it). */
  readonly hairpinMode: boolean;
  readonly cleanup: boolean;
}

export function confPaths(file: string): CniConfPaths {
  const extension = extname(file);
  const stem = join(dirname(file), basename(file, extension));
  switch (extension) {
    case '.conf':
      return { target: `${stem}.conflist`, legacy: file };
    case '.conflist':
      return { target: file, legacy: `${stem}.conf` };
    default:
      return { target: file };
  }
}

export function cniSettings(values: CniFlagValues): CniSettings {
  return {
    paths: confPaths(values['cni-conf-file']),
    autoMtu: values['auto-mtu'],
    hairpinMode: values['hairpin-mode'],
    cleanup: values['cleanup-config'],
  };
}
