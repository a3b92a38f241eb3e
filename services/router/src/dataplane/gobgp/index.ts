// The GoBGP adapter: the only code of the router that talks to gobgpd.
export {
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_GOBGP_ADDRESS,
  DEFAULT_GOBGP_PORT,
  DEFAULT_LIST_TIMEOUT_MS,
  GobgpClient,
  gobgpTarget,
  type BestPathWatch,
  type GobgpClientOptions,
  type PathTable,
  type SoftResetDirection,
} from './client.js';
export { canonicalCommunities, canonicalCommunity, formatCommunity, parseCommunity, tryParseCommunity } from './communities.js';
export { definedSetEntries, definedSetEquals, definedSetKey, familyPrefixSetName, type DefinedSetKind } from './defined-sets.js';
export { GobgpError, GobgpSpecError } from './errors.js';
export { pathKey, pathMatches, validatePathSpec } from './paths.js';
export { bgpGlobalEquals, peerKey, peerSpecDiff, peerSpecEquals } from './peers.js';
export { assignmentEquals, policyEquals } from './policies.js';
