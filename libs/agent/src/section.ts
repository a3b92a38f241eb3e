// The header of a controller's node-state section, and the generation counter that
// tells readers the content (not just the heartbeat) changed.
import { SECTION_CODECS, type SectionName, type SectionTypes } from '@kr/bus';
import { nodestate } from '@kr/proto';

export type SectionBody<S extends SectionName> = Omit<SectionTypes[S], 'header'>;

export interface HeaderFacts {
  readonly node: string;
  readonly version: string;
  readonly started: Date;
  readonly heartbeatMs: number;
  readonly health: nodestate.Health;
  readonly reasons: readonly string[];
  readonly lastSync?: Date;
  readonly lastSyncDurationMs?: number;
  readonly lastError: string;
  readonly syncPending: boolean;
  readonly syncs: number;
}

/** Builds sections and bumps the generation only when the body's encoding changes. */
export class SectionBuilder<S extends SectionName> {
  #generation = 0;
  #lastBody: string | undefined;

  constructor(readonly section: S) {}

  get generation(): number {
    return this.#generation;
  }

  build(body: SectionBody<S>, facts: HeaderFacts, now: Date): SectionTypes[S] {
    const codec = SECTION_CODECS[this.section];
    const encodedBody = Buffer.from(codec.encode({ ...body, header: undefined } as SectionTypes[S])).toString('base64');
    if (encodedBody !== this.#lastBody) {
      this.#lastBody = encodedBody;
      this.#generation++;
    }
    return { ...body, header: this.header(facts, now) } as SectionTypes[S];
  }

  header(facts: HeaderFacts, now: Date): nodestate.SectionHeader {
    return nodestate.SectionHeader.fromPartial({
      owner: this.section,
      node: facts.node,
      generation: this.#generation,
      updated: now,
      health: facts.health,
      healthReasons: [...facts.reasons],
      ...(facts.lastSync ? { lastSync: facts.lastSync } : {}),
      ...(facts.lastSyncDurationMs !== undefined ? { lastSyncDuration: durationOf(facts.lastSyncDurationMs) } : {}),
      lastError: facts.lastError,
      version: facts.version,
      pid: process.pid,
      started: facts.started,
      heartbeatInterval: durationOf(facts.heartbeatMs),
      syncPending: facts.syncPending,
      syncs: facts.syncs,
    });
  }
}

export function durationOf(ms: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}
