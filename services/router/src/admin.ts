// The router's own admin service, kuberouter.admin.v1.Router, served next to the common
// Controller service (ControllerLogic.adminServices). Answers come from the facts the last
// sync kept (admin-views.ts); ListPeers also asks GoBGP for the sessions as they are now,
// since a session can go down between syncs and no sync follows a peer's state change.
import { unaryHandler, type AdminLogger } from '@kr/admin';
import { KrError, errorMessage } from '@kr/errors';
import { routerAdmin } from '@kr/proto';
import { advertisementsResponse, peersResponse, routesResponse, type PeersSource, type RouterAdminFacts } from './admin-views.js';
import type { ObservedPeer } from './model/bgp-types.js';

/** How long ListPeers waits for GoBGP before answering with the last sync's peers. */
export const LIVE_PEERS_TIMEOUT_MS = 1_000;

export interface RouterAdminSource {
  /** The node this router runs for. */
  readonly node: string;
  /** The facts of the last completed sync (read at every call). */
  facts(): RouterAdminFacts;
  /** GoBGP's peers now; omitted, ListPeers answers from the facts. */
  livePeers?(): Promise<readonly ObservedPeer[]>;
  readonly livePeersTimeoutMs?: number;
}

export function routerAdminService(source: RouterAdminSource, log?: AdminLogger): [typeof routerAdmin.RouterService, routerAdmin.RouterServer] {
  const timeoutMs = source.livePeersTimeoutMs ?? LIVE_PEERS_TIMEOUT_MS;
  // Responses go through fromPartial, as controllerService does: an encoder failure would
  // otherwise be a bare "Error serializing response" naming neither method nor field.
  const implementation: routerAdmin.RouterServer = {
    listPeers: unaryHandler(
      'ListPeers',
      async (request: routerAdmin.ListPeersRequest) => {
        const facts = source.facts();
        return routerAdmin.ListPeersResponse.fromPartial(peersResponse(source.node, facts, request, await peersNow(source, timeoutMs)));
      },
      log,
    ),
    listRoutes: unaryHandler(
      'ListRoutes',
      async (request: routerAdmin.ListRoutesRequest) => routerAdmin.ListRoutesResponse.fromPartial(routesResponse(source.node, source.facts(), request)),
      log,
    ),
    listAdvertisements: unaryHandler(
      'ListAdvertisements',
      async (request: routerAdmin.ListAdvertisementsRequest) =>
        routerAdmin.ListAdvertisementsResponse.fromPartial(advertisementsResponse(source.node, source.facts(), request)),
      log,
    ),
  };
  return [routerAdmin.RouterService, implementation];
}

/** GoBGP's peers, or why not: an unreachable sidecar degrades the answer, it does not fail it. */
async function peersNow(source: RouterAdminSource, timeoutMs: number): Promise<PeersSource> {
  if (!source.livePeers) return { liveError: 'live session state not available' };
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KrError(`GoBGP did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return { live: await Promise.race([source.livePeers(), late]) };
  } catch (err) {
    return { liveError: errorMessage(err) };
  } finally {
    clearTimeout(timer);
  }
}
