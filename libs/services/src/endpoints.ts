// EndpointSlices grouped by service, with Kubernetes' readiness semantics. Pure.
//
// Conditions (discovery.k8s.io/v1): `ready` absent means ready; `serving` absent means
// "same as ready" (older API servers); `terminating` absent means not terminating. An
// endpoint is on this node when its nodeName is this node's name, or, without a
// nodeName (hostNetwork or hand-made slices), when its address is one of the node's.
import type { ObjectInputError } from '@kr/errors';
import { familyFromKubernetes, tryParseIP, type EnabledFamilies, type Family, type IPAddress } from '@kr/ip';
import { keyOf, objectInputError } from '@kr/k8s';
import type { V1EndpointSlice } from '@kubernetes/client-node';

/** The label the EndpointSlice controller puts on every slice of a service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export type ServiceProtocol = 'TCP' | 'UDP' | 'SCTP';

export function serviceProtocol(raw: string | undefined): ServiceProtocol | undefined {
  const value = raw ?? 'TCP';
  return value === 'TCP' || value === 'UDP' || value === 'SCTP' ? value : undefined;
}

export interface EndpointPortView {
  /** The service port name it serves ('' for an unnamed single port). */
  readonly name: string;
  readonly port: number;
  readonly protocol: ServiceProtocol;
}

export interface EndpointView {
  readonly address: IPAddress;
  readonly family: Family;
  readonly nodeName?: string;
  readonly zone?: string;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  /** On this node. */
  readonly local: boolean;
  readonly ports: readonly EndpointPortView[];
  /** namespace/name of the slice it came from. */
  readonly slice: string;
}

export interface EndpointGrouping {
  /** Endpoints per service key (namespace/name), ordered by family, then address. */
  readonly byService: ReadonlyMap<string, readonly EndpointView[]>;
  readonly problems: readonly ObjectInputError[];
}

export interface LocalNode {
  readonly name: string;
  /** The node's addresses, to recognise endpoints that carry no nodeName. */
  readonly addresses: readonly IPAddress[];
}

export function groupEndpointSlices(
  slices: readonly V1EndpointSlice[],
  node: LocalNode,
  families: EnabledFamilies,
): EndpointGrouping {
  const byService = new Map<string, Map<string, EndpointView>>();
  const problems: ObjectInputError[] = [];
  const nodeAddresses = new Set(node.addresses.map((a) => `${a.family}/${a.address}`));

  for (const slice of slices) {
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    // FQDN slices (and slices of unknown types) carry no addresses a dataplane can use.
    const family = familyFromKubernetes(slice.addressType);
    if (!service || !family || !families[family]) continue;
    const sliceKey = keyOf(slice.metadata?.name ?? '', slice.metadata?.namespace);
    const ports = slicePorts(slice, problems);
    const key = keyOf(service, slice.metadata?.namespace);
    let endpoints = byService.get(key);
    if (!endpoints) byService.set(key, (endpoints = new Map()));

    (slice.endpoints ?? []).forEach((endpoint, index) => {
      const ready = endpoint.conditions?.ready !== false;
      const serving = endpoint.conditions?.serving ?? ready;
      const terminating = endpoint.conditions?.terminating ?? false;
      // Kubernetes sets one address per endpoint (the API allows up to 100 for
      // historical reasons and consumers use the first); we use every valid one.
      for (const text of endpoint.addresses ?? []) {
        const address = tryParseIP(text);
        if (!address || address.family !== family) {
          problems.push(
            objectInputError(slice, `endpoints[${index}].addresses`, `${JSON.stringify(text)} is not an ${family} address (addressType ${slice.addressType})`),
          );
          continue;
        }
        const local = endpoint.nodeName !== undefined ? endpoint.nodeName === node.name : nodeAddresses.has(`${family}/${address.address}`);
        const view: EndpointView = {
          address,
          family,
          ...(endpoint.nodeName !== undefined ? { nodeName: endpoint.nodeName } : {}),
          ...(endpoint.zone !== undefined ? { zone: endpoint.zone } : {}),
          ready,
          serving,
          terminating,
          local,
          ports,
          slice: sliceKey,
        };
        // The same endpoint can sit in two slices while the controller moves it; one copy
        // is enough, and a ready copy wins over a not-ready one.
        const dedupeKey = `${address.address}|${ports.map((p) => `${p.name}/${p.protocol}/${p.port}`).join(',')}`;
        const seen = endpoints.get(dedupeKey);
        if (!seen || (!seen.ready && ready)) endpoints.set(dedupeKey, view);
      }
    });
  }

  const sorted = new Map<string, EndpointView[]>();
  for (const [key, endpoints] of byService) {
    sorted.set(
      key,
      [...endpoints.values()].sort(
        (a, b) => (a.family === b.family ? (a.address.value < b.address.value ? -1 : a.address.value > b.address.value ? 1 : 0) : a.family === 'ipv4' ? -1 : 1),
      ),
    );
  }
  return { byService: sorted, problems };
}

function slicePorts(slice: V1EndpointSlice, problems: ObjectInputError[]): EndpointPortView[] {
  const ports: EndpointPortView[] = [];
  (slice.ports ?? []).forEach((p, index) => {
    const protocol = serviceProtocol(p.protocol);
    // A port without a number means "all ports" (selector-less services mirroring
    // Endpoints); nothing we program can use it.
    if (p.port === undefined) return;
    if (!protocol) {
      problems.push(objectInputError(slice, `ports[${index}].protocol`, `unsupported protocol ${JSON.stringify(p.protocol)}`));
      return;
    }
    ports.push({ name: p.name ?? '', port: p.port, protocol });
  });
  return ports;
}
