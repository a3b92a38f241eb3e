// V8 settings for the controllers: four long-running Node processes on every node, each
// with an RSS budget of 85 MB (measurements in docs/benchmarks.md, "Memory").
//
// V8 flags must be given when the process starts, so a controller's bin/ entry calls
// relaunchWithV8Flags() first: when its flags are missing the process replaces itself
// (execve: same pid, no wrapper process) with them added. KR_NODE_FLAGS overrides the
// profile's flags; set it to "" to run with Node's defaults.
//
// This module imports nothing, so the relaunch happens before anything else is loaded.

/**
 * - `--max-semi-space-size=1`: a 1 MB young generation instead of 16 MB.
 * - `--optimize-for-size`: V8's heap grows in small steps and gives memory back sooner.
 *   Without it a burst of garbage (a sync round as 30 BGP peers change) left the heap
 *   committed at 40 MB and some routers at 95–105 MiB RSS long after.
 * - `--jitless` (lean): no JIT at all, no machine code. For controllers whose rounds are
 *   small diffs where the interpreter is fast enough (cni, router); ~8 MB lower.
 * - `--no-opt` (compute): TurboFan off, Maglev still compiles hot code. For controllers
 *   that render large rule sets (proxy, firewall).
 */
export const V8_FLAG_PROFILES = {
  lean: ['--max-semi-space-size=1', '--optimize-for-size', '--jitless'],
  compute: ['--max-semi-space-size=1', '--optimize-for-size', '--no-opt'],
} as const;

export type V8FlagProfile = keyof typeof V8_FLAG_PROFILES;

/** The flags a controller runs with: KR_NODE_FLAGS when set, otherwise the profile's. */
export function v8Flags(profile: V8FlagProfile, env: NodeJS.ProcessEnv = process.env): string[] {
  const override = env['KR_NODE_FLAGS'];
  return override !== undefined ? override.split(' ').filter(Boolean) : [...V8_FLAG_PROFILES[profile]];
}

/** Re-executes this process with the profile's V8 flags unless it already has them. */
export function relaunchWithV8Flags(profile: V8FlagProfile): void {
  const flags = v8Flags(profile);
  if (flags.length === 0 || flags.every((f) => process.execArgv.includes(f))) return;
  if (typeof process.execve !== 'function') return;
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...flags, ...process.argv.slice(1)], process.env);
}
