// The node-state sections in the KV bucket: one key per controller, each holding that
// controller's protobuf-encoded section (see proto/kuberouter/nodestate/v1).
import { nodestate } from '@kr/proto';
import { protoCodec } from './codec.js';
import type { Codec } from './codec.js';

export const NODESTATE_BUCKET = 'kr-nodestate';

/**
 * The bucket lives in the node-local server's memory: node state is rebuilt from the
 * controllers within a heartbeat, so persisting it would only serve stale facts after a
 * restart. One revision per key is all readers need.
 */
export const NODESTATE_BUCKET_CONFIG = { storage: 'memory', history: 1 } as const;

export interface SectionTypes {
  cni: nodestate.CniState;
  router: nodestate.RouterState;
  proxy: nodestate.ProxyState;
  firewall: nodestate.FirewallState;
}

export type SectionName = keyof SectionTypes;

export const SECTIONS: readonly SectionName[] = ['cni', 'router', 'proxy', 'firewall'];

export const SECTION_CODECS: { readonly [S in SectionName]: Codec<SectionTypes[S]> } = {
  cni: protoCodec(nodestate.CniState),
  router: protoCodec(nodestate.RouterState),
  proxy: protoCodec(nodestate.ProxyState),
  firewall: protoCodec(nodestate.FirewallState),
};

export function isSectionName(key: string): key is SectionName {
  return Object.hasOwn(SECTION_CODECS, key);
}

/**
 * The arguments of a section callback: the section name and its value, typed together so
 * that checking the name narrows the value. `undefined` means the key was deleted.
 */
export type SectionArgs<S extends SectionName = SectionName> = {
  [K in S]: [section: K, value: SectionTypes[K] | undefined];
}[S];
