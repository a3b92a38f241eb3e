// Optional persistence: the store's objects and resourceVersion counter written to one
// JSON file (debounced, atomically via rename) and read back at start, so a restarted
// simulator serves the same cluster with resourceVersions that only go up.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KrError } from '@kr/errors';
import type { SimulatorStore, StoreDump } from './simulator-store.js';

const FORMAT = 'kr-apiserver-simulator/v1';

export class SnapshotError extends KrError {}

export async function loadSnapshot(file: string): Promise<StoreDump | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SnapshotError(`cannot read snapshot ${file}`, { cause: err });
  }
  try {
    const parsed = JSON.parse(text) as { format?: unknown; resourceVersion?: unknown; objects?: unknown };
    if (parsed.format !== FORMAT || typeof parsed.resourceVersion !== 'number' || typeof parsed.objects !== 'object') {
      throw new Error(`not a ${FORMAT} snapshot`);
    }
    return { resourceVersion: parsed.resourceVersion, objects: parsed.objects as StoreDump['objects'] };
  } catch (err) {
    throw new SnapshotError(`snapshot ${file} is unreadable: ${(err as Error).message}`, { cause: err });
  }
}

/** Saves the store shortly after each change; one write at a time, the last state always wins. */
export class SnapshotWriter {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private savedRv = -1;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly file: string,
    private readonly store: SimulatorStore,
    private readonly onError: (err: unknown) => void,
    private readonly debounceMs = 200,
  ) {
    this.unsubscribe = store.subscribe(() => this.schedule());
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch(this.onError);
    }, this.debounceMs);
  }

  /** Writes now if anything changed since the last write. */
  async flush(): Promise<void> {
    this.writing = this.writing.then(() => this.write(), () => this.write());
    return this.writing;
  }

  private async write(): Promise<void> {
    const dump = this.store.dump();
    if (dump.resourceVersion === this.savedRv) return;
    const temporary = `${this.file}.tmp-${process.pid}`;
    try {
      await mkdir(dirname(this.file), { recursive: true });
      await writeFile(temporary, JSON.stringify({ format: FORMAT, ...dump }));
      await rename(temporary, this.file);
      this.savedRv = dump.resourceVersion;
    } catch (err) {
      throw new SnapshotError(`cannot write snapshot ${this.file}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    this.unsubscribe();
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
