// The controllers' work queue: keys marked dirty by store events are processed together
// on the next turn of the event loop, after the write that triggered them has been
// answered, as a real controller would see it a moment later through its informer.

export class WorkQueue {
  private readonly dirty = new Set<string>();
  private scheduled = false;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly process: (key: string) => void,
    private readonly onError: (key: string, err: unknown) => void,
  ) {}

  add(key: string): void {
    this.dirty.add(key);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  /** Resolves once nothing is queued (what tests wait on instead of sleeping). */
  idle(): Promise<void> {
    if (!this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private drain(): void {
    // Keys added while processing (our own writes) are handled in the same drain.
    let rounds = 0;
    while (this.dirty.size && rounds++ < 100) {
      const keys = [...this.dirty];
      this.dirty.clear();
      for (const key of keys) {
        try {
          this.process(key);
        } catch (err) {
          this.onError(key, err);
        }
      }
    }
    this.scheduled = false;
    if (this.dirty.size) {
      this.scheduled = true;
      setImmediate(() => this.drain());
      return;
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
