// @kr/dataplane: the only code that runs kernel tools (ip, nft, iptables-save/-restore,
// ipset, sysctl, conntrack). Every executor can target a named network namespace, feeds
// transactions on stdin, fails with DataplaneError (command, exit code, stderr, failing
// input line), and reports `{ changed }` for applies by reading the touched scope back.
export type { ApplyResult } from './types.js';
export { DEFAULT_TIMEOUT_MS, type FailingLine, type ToolOptions } from './exec.js';
export {
  IpExecutor,
  type IpAddressInfo,
  type IpBatchOptions,
  type IpInterfaceAddresses,
  type IpLink,
  type IpNeighbour,
  type IpRoute,
  type IpRule,
  type RouteQuery,
} from './ip.js';
export { ipBatchScope, type IpBatchScope, type IpObjectKind } from './ip-scope.js';
export { NftExecutor, normaliseNftListing, type NftApplyOptions, type NftObject } from './nft.js';
export { nftScriptScope, type NftFamily, type NftScope, type NftTableRef } from './nft-scope.js';
export {
  IptablesExecutor,
  iptablesBinary,
  normaliseIptablesSave,
  parseIptablesSave,
  tablesInRestoreInput,
  type IptablesBackend,
  type IptablesOptions,
  type IptablesRestoreOptions,
  type IptablesSaveTable,
} from './iptables.js';
export { defaultIptablesBackend, detectIptablesBackend, type IptablesBackendDetection } from './iptables-backend.js';
export {
  IpsetExecutor,
  normaliseIpsetSave,
  normaliseIpsetSets,
  parseIpsetSave,
  setsInRestoreInput,
  type IpsetMember,
  type IpsetRestoreOptions,
  type IpsetSet,
} from './ipset.js';
export { SysctlExecutor, type SysctlSetResult } from './sysctl.js';
export { ConntrackExecutor, type ConntrackDeleteResult, type ConntrackFilter } from './conntrack.js';
