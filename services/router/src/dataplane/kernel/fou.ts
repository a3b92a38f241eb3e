// `ip -j fou show`. IpExecutor has no fou listing, so this one read runs ip itself (argv,
// never a shell; same namespace selection as IpExecutor: `ip -n <netns>`). Writes go
// through IpExecutor.batch like every other tunnel command.
// TODO(libs/dataplane): move into IpExecutor as fouPorts() and drop this file.
import { execFile } from 'node:child_process';
import { DataplaneError } from '@kr/errors';
import { DEFAULT_TIMEOUT_MS, type ToolOptions } from '@kr/dataplane';
import { parseFouPorts } from './tunnel-links.js';
import type { FouPort } from './types.js';

// Without the fou module ip cannot resolve the generic netlink family.
const NO_FOU = /No such file or directory|Error talking to the kernel|Failed to get fou family/;

export async function listFouPorts(options: ToolOptions = {}): Promise<FouPort[]> {
  const argv = ['ip', ...(options.netns !== undefined ? ['-n', options.netns] : []), '-j', 'fou', 'show'];
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, env: { ...process.env, LC_ALL: 'C' } }, (err, out, errOut) => {
      if (!err) return resolve(out);
      if (NO_FOU.test(errOut)) return resolve('');
      const code = typeof err.code === 'number' ? err.code : null;
      reject(new DataplaneError(argv, code, errOut || err.message, undefined, { cause: err }));
    });
  });
  if (stdout.trim() === '') return [];
  try {
    return parseFouPorts(JSON.parse(stdout) as Record<string, unknown>[]);
  } catch (err) {
    throw new DataplaneError(argv, 0, `unparseable JSON output: ${stdout.slice(0, 200)}`, undefined, { cause: err });
  }
}
