// @kr/ip: family-aware addresses and CIDRs. Everything here is pure and synchronous.
export {
  FAMILIES,
  familyFromKubernetes,
  hostPrefixLength,
  kubernetesFamilyName,
  otherFamily,
  type EnabledFamilies,
  type Family,
} from './family.js';
export { IPAddress, canonicalIP, isIP, isIPv4Mapped, parseIP, toIP, tryParseIP, unmapIPv4 } from './address.js';
export {
  Cidr,
  contains,
  containsCidr,
  hostCidr,
  isCIDR,
  overlaps,
  parseCIDR,
  parseInterfaceAddress,
  toCidr,
  tryParseCIDR,
  type ParseCidrOptions,
} from './cidr.js';
export { compareCIDRs, compareIPs, sortCIDRs, sortIPs, type SortOptions } from './sort.js';
export {
  dualStackPair,
  familyOf,
  filterFamilies,
  firstPerFamily,
  isCidrOfFamily,
  parseCidrList,
  parseDualStackCIDRs,
  parseDualStackIPs,
  parseIPList,
  parseListSettled,
  perFamilyList,
  splitList,
  type DroppedItem,
  type PerFamily,
} from './lists.js';
