// Opening the node-state bucket. Writers and readers both create it when it is missing:
// after a restart of the in-memory server it is gone, and neither side should wait for
// the other to bring it back. Creating is idempotent (nats.js looks the stream up first
// and the server accepts an identical definition twice).
import { Kvm } from '@nats-io/kv';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { NODESTATE_BUCKET, NODESTATE_BUCKET_CONFIG } from './sections.js';

export type { KV, KvWatchEntry } from '@nats-io/kv';

export function ensureNodestateBucket(nc: NatsConnection): Promise<KV> {
  return new Kvm(nc).create(NODESTATE_BUCKET, { ...NODESTATE_BUCKET_CONFIG });
}
