// Bad user input (an annotation, a CIDR, a port) is logged once per object and problem,
// not on every sync: syncs run every few seconds and would drown the log otherwise.
// A problem is logged again only after it went away and came back.
import type { ObjectInputError } from '@kr/errors';
import type { Logger } from '@kr/observability';

export class InputProblems {
  readonly #seen = new Map<string, Set<string>>();

  constructor(private readonly log: Logger) {}

  /** Sets the current problems of one object (empty = none); logs the new ones. */
  report(objectKey: string, problems: readonly ObjectInputError[]): void {
    const now = new Set(problems.map((p) => p.message));
    const before = this.#seen.get(objectKey);
    for (const p of problems) {
      if (!before?.has(p.message)) {
        this.log.warn({ kind: p.kind, object: p.object, field: p.field, reason: p.reason }, p.message);
      }
    }
    if (now.size > 0) this.#seen.set(objectKey, now);
    else this.#seen.delete(objectKey);
  }

  /** Drops objects not in `present` (deleted objects). */
  retain(present: ReadonlySet<string>): void {
    for (const key of this.#seen.keys()) if (!present.has(key)) this.#seen.delete(key);
  }

  get count(): number {
    let n = 0;
    for (const s of this.#seen.values()) n += s.size;
    return n;
  }
}
