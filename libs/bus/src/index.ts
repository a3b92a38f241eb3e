// @kr/bus: the node-local NATS bus — connection, typed subjects, node-state sections.
export { Bus } from './bus.js';
export type { BusOptions } from './bus.js';
export type { BackoffOptions } from '@kr/runner';
export type { BusStatus } from './connection.js';
export { DEFAULT_SERVERS } from './connection.js';
export { protoCodec } from './codec.js';
export type { Codec, ProtoMessageFns } from './codec.js';
export { isSectionName, NODESTATE_BUCKET, NODESTATE_BUCKET_CONFIG, SECTION_CODECS, SECTIONS } from './sections.js';
export type { SectionArgs, SectionName, SectionTypes } from './sections.js';
export type { SectionWatch } from './section-watcher.js';
export { CONTROLLERS, resyncSubject, SUBJECT_PREFIX } from './subjects.js';
export type { ControllerName, Subject } from './subjects.js';
export type { BusSubscription } from './subscriptions.js';
