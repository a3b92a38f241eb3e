// Applies kernel settings one by one; each write reads the value first, so applying
// twice changes nothing the second time.
import { DataplaneError } from '@kr/errors';
import type { SysctlExecutor } from '@kr/dataplane';
import type { SysctlSetting } from '../model/sysctls.js';

export interface SysctlApplyResult {
  /** Settings that were written, with their previous values. */
  readonly changed: readonly (SysctlSetting & { readonly previous: string })[];
  /** Optional settings whose key does not exist here. */
  readonly missing: readonly SysctlSetting[];
}

function isMissingKey(err: unknown): boolean {
  return err instanceof DataplaneError && /cannot stat|No such file or directory/.test(err.stderr);
}

/** A value, or undefined when the key does not exist (an interface without IPv6, say). */
export async function readOptionalSysctl(sysctl: SysctlExecutor, key: string): Promise<string | undefined> {
  try {
    return await sysctl.get(key);
  } catch (err) {
    if (isMissingKey(err)) return undefined;
    throw err;
  }
}

export async function applySysctls(sysctl: SysctlExecutor, settings: readonly SysctlSetting[]): Promise<SysctlApplyResult> {
  const changed: (SysctlSetting & { previous: string })[] = [];
  const missing: SysctlSetting[] = [];
  for (const setting of settings) {
    try {
      const result = await sysctl.set(setting.key, setting.value);
      if (result.changed) changed.push({ ...setting, previous: result.previous });
    } catch (err) {
      if (setting.optional && isMissingKey(err)) missing.push(setting);
      else throw err;
    }
  }
  return { changed, missing };
}
