// --cleanup-config: remove what this controller created, then exit. It needs neither the
// API nor the bus, so it runs before (and instead of) the controller runtime.
//
// kube-router's --cleanup-config leaves the CNI configuration and kube-bridge in place
// (it cleans iptables, IPVS and ipsets). Here the CNI controller's own objects go:
//   - the configuration list: deleted when it holds nothing but what we would write;
//     when a user added plugins or fields, only the node-specific ranges and MTU are
//     removed (see planConflistCleanup);
//   - kube-bridge: deleted, which detaches every pod of the node (that is what the
//     operator asked for).
// Sysctls are left as they are: forwarding may serve other things on the host, and
// turning it off under running workloads is not a cleanup. A legacy .conf is not ours
// (we remove it on conversion), so it is never touched here.
import { commonConfig, commonFlagSpecs, parseFlags } from '@kr/agent';
import { ConfigError } from '@kr/errors';
import { createLogger, type Logger } from '@kr/observability';
import { cniFlagSpecs, cniSettings, type CniSettings } from './config.js';
import { deleteBridge } from './dataplane/bridge.js';
import { readOptionalFile, removeFile, writeFileAtomic } from './dataplane/conf-files.js';
import { BRIDGE_NAME, parseCniConfig, planConflistCleanup } from './model/conflist.js';
import { formatJson } from './model/json.js';
import type { CniDataplane } from './reconcile.js';

export interface CleanupResult {
  /** What happened to the configuration list. */
  readonly conflist: 'absent' | 'deleted' | 'stripped' | 'kept';
  readonly bridgeDeleted: boolean;
}

export async function cleanupCni(settings: CniSettings, dp: CniDataplane): Promise<CleanupResult> {
  const path = settings.paths.target;
  const text = await readOptionalFile(path);
  let conflist: CleanupResult['conflist'] = 'absent';
  if (text !== undefined) {
    const plan = planConflistCleanup(parseCniConfig(path, text), settings.hairpinMode);
    switch (plan.action) {
      case 'delete':
        await removeFile(path);
        conflist = 'deleted';
        break;
      case 'write':
        await writeFileAtomic(path, formatJson(plan.config));
        conflist = 'stripped';
        break;
      case 'keep':
        conflist = 'kept';
        break;
    }
  }
  const bridgeDeleted = await deleteBridge(dp.ip, BRIDGE_NAME);
  return { conflist, bridgeDeleted };
}

/**
 * Handles `kr-cni --cleanup-config`: resolves with the exit code, or undefined when argv
 * does not ask for cleanup (or is bad, or asks for help): the runtime then takes over
 * and reports bad flags the usual way.
 */
export async function runCleanupCommand(argv: readonly string[], dp: () => CniDataplane): Promise<number | undefined> {
  let settings: CniSettings;
  let log: Logger;
  try {
    const parsed = parseFlags([...commonFlagSpecs('cni'), ...cniFlagSpecs()] as const, argv);
    if (parsed.kind !== 'run' || !parsed.values['cleanup-config']) return undefined;
    const config = commonConfig(parsed.values);
    settings = cniSettings(parsed.values);
    log = createLogger({ name: 'cni', level: config.logLevel, node: config.node }).child('cleanup');
  } catch (err) {
    if (err instanceof ConfigError) return undefined;
    throw err;
  }
  try {
    const result = await cleanupCni(settings, dp());
    log.info({ path: settings.paths.target, conflist: result.conflist, bridge: BRIDGE_NAME, bridgeDeleted: result.bridgeDeleted }, 'CNI configuration cleaned up');
    return 0;
  } catch (err) {
    log.error({ err, path: settings.paths.target }, 'CNI cleanup failed');
    return 1;
  }
}
