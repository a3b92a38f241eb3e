// The CNI configuration files on disk. Writes are atomic: container runtimes read the
// directory whenever a pod starts, and must never see a half-written list. The new text
// goes to a hidden temporary file in the same directory (same filesystem, so rename is
// atomic; hidden and without a .conf/.conflist/.json extension, so no runtime loads it),
// is flushed to disk, renamed over the target, and the directory entry is flushed too.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DataplaneError, errorMessage } from '@kr/errors';
import type { CniConfPaths } from '../config.js';
import type { CniConfFiles } from '../plan/conflist.js';

function fileError(operation: string, path: string, err: unknown): DataplaneError {
  return new DataplaneError([operation, path], null, errorMessage(err), undefined, { cause: err });
}

/** A file's text, or undefined when it does not exist. */
export async function readOptionalFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileError('read', path, err);
  }
}

export async function readConfFiles(paths: CniConfPaths): Promise<CniConfFiles> {
  const targetText = await readOptionalFile(paths.target);
  const target = { path: paths.target, ...(targetText !== undefined ? { text: targetText } : {}) };
  if (!paths.legacy) return { target };
  const legacyText = await readOptionalFile(paths.legacy);
  return { target, legacy: { path: paths.legacy, ...(legacyText !== undefined ? { text: legacyText } : {}) } };
}

export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  const temporary = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const file = await open(temporary, 'wx', 0o644);
    try {
      await file.writeFile(text, 'utf8');
      // The umask may have narrowed the mode; runtimes run as root, people read it too.
      await chmod(temporary, 0o644);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw fileError('write', path, err);
  }
  // The rename is durable only once the directory is flushed.
  try {
    const directory = await open(dir, 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  } catch (err) {
    throw fileError('fsync', dir, err);
  }
}

/** Removes a file; false when it was not there (removing what is absent is no error). */
export async function removeFile(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw fileError('remove', path, err);
  }
}
