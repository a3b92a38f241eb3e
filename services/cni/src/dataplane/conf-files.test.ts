import { mkdir, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataplaneError } from '@kr/errors';
import { readConfFiles, readOptionalFile, removeFile, writeFileAtomic } from './conf-files.js';

describe('configuration files on disk', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kr-cni-files-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes atomically into a directory it creates, mode 0644, leaving no temporary file', async () => {
    const path = join(dir, 'net.d', '10-kuberouter.conflist');
    await writeFileAtomic(path, 'one\n');
    await writeFileAtomic(path, 'two\n');
    expect(await readFile(path, 'utf8')).toBe('two\n');
    expect((await stat(path)).mode & 0o777).toBe(0o644);
    expect(await readdir(join(dir, 'net.d'))).toEqual(['10-kuberouter.conflist']);
  });

  it('a failed write is a DataplaneError naming the file, and cleans up its temporary file', async () => {
    const path = join(dir, 'occupied.conflist');
    await mkdir(path);
    const err = await writeFileAtomic(path, 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataplaneError);
    expect((err as DataplaneError).command).toEqual(['write', path]);
    expect(await readdir(dir)).toEqual(['occupied.conflist']);
  });

  it('absent files read as undefined and removing them is no error', async () => {
    expect(await readOptionalFile(join(dir, 'none.conflist'))).toBeUndefined();
    expect(await removeFile(join(dir, 'none.conflist'))).toBe(false);
    expect(await readConfFiles({ target: join(dir, 'a.conflist'), legacy: join(dir, 'a.conf') })).toEqual({
      target: { path: join(dir, 'a.conflist') },
      legacy: { path: join(dir, 'a.conf') },
    });
  });
});
