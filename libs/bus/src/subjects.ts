// Every NATS subject the project uses, with its payload type. This is the only place a
// subject string is spelled: services import these objects, never write `kr.v1....`.
import { admin } from '@kr/proto';
import { protoCodec } from './codec.js';
import type { Codec } from './codec.js';

export const SUBJECT_PREFIX = 'kr.v1';

/** A core-NATS subject and the codec of the messages sent on it. */
export interface Subject<T> {
  readonly name: string;
  readonly codec: Codec<T>;
}

export const CONTROLLERS = ['cni', 'router', 'proxy', 'firewall'] as const;
export type ControllerName = (typeof CONTROLLERS)[number];

const resyncCodec = protoCodec(admin.ResyncRequest);

/**
 * `kr.v1.resync.<controller>`: asks that controller (every instance on the node-local bus)
 * for a sync, full or partial; fire-and-forget, the same request the admin Resync call takes.
 */
export function resyncSubject(controller: ControllerName): Subject<admin.ResyncRequest> {
  return { name: `${SUBJECT_PREFIX}.resync.${controller}`, codec: resyncCodec };
}
