// Conversions from @kr/ip values to the node-state model's messages.
import type { Cidr, Family, IPAddress } from '@kr/ip';
import { nodestate } from '@kr/proto';

export function protoFamily(family: Family): nodestate.Family {
  return family === 'ipv4' ? nodestate.Family.FAMILY_IPV4 : nodestate.Family.FAMILY_IPV6;
}

export function protoPrefix(cidr: Cidr): nodestate.Prefix {
  return { family: protoFamily(cidr.family), cidr: cidr.toString() };
}

export function protoAddress(ip: IPAddress): nodestate.Address {
  return { family: protoFamily(ip.family), ip: ip.address };
}
