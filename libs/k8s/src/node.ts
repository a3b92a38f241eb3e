import type { ObjectInputError } from '@kr/errors';
import { errorMessage } from '@kr/errors';
import { parseInterfaceAddress, splitList, toIP, type Cidr, type IPAddress, type PerFamily } from '@kr/ip';
import type { V1Node } from '@kubernetes/client-node';
import { annotationField, objectInputError } from './annotations.js';

/** kube-router's annotation listing a node's pod CIDRs (comma list, one per family). */
export const POD_CIDRS_ANNOTATION = 'kube-router.io/pod-cidrs';
/** Deprecated single-CIDR form, kept for compatibility. */
export const POD_CIDR_ANNOTATION = 'kube-router.io/pod-cidr';

export interface NodeIPs extends PerFamily<IPAddress> {
  /** Every usable address: InternalIPs, then ExternalIPs, in status order, deduplicated (or the override list). */
  readonly all: IPAddress[];
  /** kube-router's "primary" node IP: the first InternalIP, else the first ExternalIP, of any family. */
  readonly primary?: IPAddress;
  readonly source: 'status' | 'override';
  /** Unparseable addresses that were skipped, naming the node and the field. */
  readonly warnings: ObjectInputError[];
}

/**
 * A node's addresses per family, as kube-router picks them: the first InternalIP of the
 * family, falling back to the first ExternalIP of that family only when it has no
 * InternalIP. `override` (e.g. the router's kube-router.io/bgp-local-addresses, parsed
 * by the caller) replaces the status addresses entirely when it is non-empty.
 */
export function nodeInternalIPs(node: V1Node, override?: readonly (string | IPAddress)[]): NodeIPs {
  const warnings: ObjectInputError[] = [];
  if (override && override.length > 0) {
    const all: IPAddress[] = [];
    override.forEach((entry, index) => {
      try {
        all.push(toIP(entry));
      } catch (err) {
        warnings.push(objectInputError(node, `address override[${index}]`, errorMessage(err), err));
      }
    });
    if (all.length > 0) return { ...pick(all, []), all: dedupe(all), primary: all[0], source: 'override', warnings };
  }
  const internal: IPAddress[] = [];
  const external: IPAddress[] = [];
  (node.status?.addresses ?? []).forEach((address, index) => {
    if (address.type !== 'InternalIP' && address.type !== 'ExternalIP') return;
    try {
      (address.type === 'InternalIP' ? internal : external).push(toIP(address.address));
    } catch (err) {
      warnings.push(objectInputError(node, `status.addresses[${index}] (${address.type})`, errorMessage(err), err));
    }
  });
  const primary = internal[0] ?? external[0];
  return { ...pick(internal, external), all: dedupe([...internal, ...external]), ...(primary ? { primary } : {}), source: 'status', warnings };
}

function pick(preferred: IPAddress[], fallback: IPAddress[]): PerFamily<IPAddress> {
  const result: PerFamily<IPAddress> = {};
  for (const family of ['ipv4', 'ipv6'] as const) {
    const found = preferred.find((a) => a.family === family) ?? fallback.find((a) => a.family === family);
    if (found) result[family] = found;
  }
  return result;
}

function dedupe(ips: IPAddress[]): IPAddress[] {
  const seen = new Set<string>();
  return ips.filter((ip) => !seen.has(ip.address) && (seen.add(ip.address), true));
}

export type PodCidrSource = 'annotation:pod-cidrs' | 'annotation:pod-cidr' | 'spec.podCIDRs' | 'spec.podCIDR' | 'none';

export interface NodePodCIDRs extends PerFamily<Cidr> {
  /** The valid CIDRs, at most one per family, in the order given. */
  readonly all: Cidr[];
  readonly source: PodCidrSource;
  /** Problems that did not change the result (deprecated annotation, ignored values). */
  readonly warnings: ObjectInputError[];
  /** Invalid entries of the chosen source; the family they were meant for has no CIDR. */
  readonly errors: ObjectInputError[];
}

/**
 * The pod CIDRs of a node, one per family. The first source present decides:
 *   1. `kube-router.io/pod-cidrs` — the list annotation supersedes everything;
 *   2. `kube-router.io/pod-cidr` — deprecated single CIDR, still preferred over the spec
 *      while present (with a deprecation warning);
 *   3. `spec.podCIDRs`, then the legacy `spec.podCIDR`.
 * kube-router itself is inconsistent here: its per-family lookup
 * (utils.GetPodCIDRsFromNodeSpecDualStack) reads pod-cidrs then spec.podCIDRs and ignores
 * pod-cidr, its single lookup (GetPodCidrFromNodeSpec) reads pod-cidr then spec.podCIDR,
 * and its route sync (getPodCIDRsFromAllNodeSources) prefers pod-cidr over pod-cidrs.
 * We follow the project design (the list supersedes the deprecated single form) with
 * one order for every controller. Like kube-router, an invalid value in the chosen
 * source is an error and does not fall through to the next source (falling back to
 * the spec would silently use a range the operator meant to replace); the valid entries
 * of that source are still used. Empty annotations count as absent.
 */
export function nodePodCIDRs(node: V1Node): NodePodCIDRs {
  const annotations = node.metadata?.annotations ?? {};
  const warnings: ObjectInputError[] = [];
  const list = annotations[POD_CIDRS_ANNOTATION]?.trim();
  const single = annotations[POD_CIDR_ANNOTATION]?.trim();

  if (list) {
    if (single) {
      warnings.push(
        objectInputError(node, annotationField(POD_CIDR_ANNOTATION), `deprecated and ignored: ${POD_CIDRS_ANNOTATION} is set and takes precedence`),
      );
    }
    return collect(node, splitList(list), annotationField(POD_CIDRS_ANNOTATION), 'annotation:pod-cidrs', warnings);
  }
  if (single) {
    warnings.push(
      objectInputError(node, annotationField(POD_CIDR_ANNOTATION), `deprecated: use ${POD_CIDRS_ANNOTATION} (a comma-separated list, one CIDR per family)`),
    );
    return collect(node, [single], annotationField(POD_CIDR_ANNOTATION), 'annotation:pod-cidr', warnings);
  }
  const specList = node.spec?.podCIDRs ?? [];
  if (specList.length > 0) return collect(node, specList, 'spec.podCIDRs', 'spec.podCIDRs', warnings);
  if (node.spec?.podCIDR) return collect(node, [node.spec.podCIDR], 'spec.podCIDR', 'spec.podCIDR', warnings);
  return { all: [], source: 'none', warnings, errors: [] };
}

function collect(node: V1Node, items: readonly string[], field: string, source: PodCidrSource, warnings: ObjectInputError[]): NodePodCIDRs {
  const errors: ObjectInputError[] = [];
  const result: PerFamily<Cidr> = {};
  const all: Cidr[] = [];
  items.forEach((item, index) => {
    const where = items.length > 1 || source === 'annotation:pod-cidrs' ? `${field} item ${index + 1}` : field;
    let parsed: Cidr;
    let hostBitsSet: boolean;
    try {
      const { ip, cidr } = parseInterfaceAddress(item.trim());
      parsed = cidr;
      hostBitsSet = ip.value !== cidr.value;
    } catch (err) {
      errors.push(objectInputError(node, where, errorMessage(err), err));
      return;
    }
    const seen = result[parsed.family];
    if (seen) {
      errors.push(objectInputError(node, where, `second ${parsed.family} CIDR ${parsed.toString()} (already have ${seen.toString()}); at most one per family is allowed`));
      return;
    }
    if (hostBitsSet) {
      warnings.push(objectInputError(node, where, `${JSON.stringify(item)} has host bits set; using ${parsed.toString()}`));
    }
    result[parsed.family] = parsed;
    all.push(parsed);
  });
  return { ...result, all, source, warnings, errors };
}
