import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Whether protoc is installed (tests that need it skip with that reason otherwise). */
export async function hasProtoc(): Promise<boolean> {
  try {
    await run('protoc', ['--version']);
    return true;
  } catch {
    return false;
  }
}

/** A serialized FileDescriptorSet holding the given serialized files, as they are. */
export function fileDescriptorSetOf(files: readonly Uint8Array[]): Buffer {
  const parts: Buffer[] = [];
  for (const file of files) {
    const header = [0x0a];
    for (let n = file.length; ; n = Math.floor(n / 128)) {
      if (n < 128) {
        header.push(n);
        break;
      }
      header.push((n % 128) | 0x80);
    }
    parts.push(Buffer.from(header), Buffer.from(file));
  }
  return Buffer.concat(parts);
}

/**
 * Has protoc build `fileName` from the given files, the way a reflection client builds
 * descriptors: protoc links and validates every file (imports present, type names
 * resolve, oneofs have fields). Resolves with protoc's complaint, or '' when accepted.
 */
export async function protocComplaint(files: readonly Uint8Array[], fileName: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kr-admin-protoc-'));
  try {
    const set = join(dir, 'set.bin');
    await writeFile(set, fileDescriptorSetOf(files));
    await run('protoc', [`--descriptor_set_in=${set}`, `--descriptor_set_out=${join(dir, 'out.bin')}`, fileName]);
    return '';
  } catch (err) {
    return (err as { stderr?: string }).stderr?.trim() || String(err);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
