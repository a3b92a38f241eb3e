// What the kernel can do, for tests that must skip (with the reason) rather than pass
// silently when a feature is missing.
import { readFile } from 'node:fs/promises';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';

/** The kernel build configuration, if the kernel exposes it anywhere we can read. */
async function kernelConfig(): Promise<string | undefined> {
  try {
    return gunzipSync(await readFile('/proc/config.gz')).toString();
  } catch {
    // Not built with IKCONFIG_PROC: try the distribution's copy.
  }
  try {
    return await readFile(`/boot/config-${release()}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** Why TCP MD5 (RFC 2385, BGP passwords) cannot be tested here, or undefined if it can. */
export async function tcpMd5SkipReason(): Promise<string | undefined> {
  const config = await kernelConfig();
  if (config === undefined) return 'skipped: cannot tell whether the kernel has TCP MD5 (no /proc/config.gz or /boot/config)';
  return /^CONFIG_TCP_MD5SIG=y$/m.test(config) ? undefined : 'skipped: kernel lacks TCP MD5';
}
