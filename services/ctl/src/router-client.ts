// A promise-based client of the router's own admin service (kuberouter.admin.v1.Router),
// failing the same way connectController does: every failure is an AdminCallError.
import { credentials, Metadata } from '@grpc/grpc-js';
import { ADMIN_CHANNEL_OPTIONS, DEFAULT_CALL_DEADLINE_MS, adminUnary, parseAdminAddress } from '@kr/admin';
import { routerAdmin } from '@kr/proto';

export interface RouterConnection {
  /** The `host:port` dialled. */
  readonly address: string;
  listPeers(request?: Partial<routerAdmin.ListPeersRequest>): Promise<routerAdmin.ListPeersResponse>;
  listRoutes(request?: Partial<routerAdmin.ListRoutesRequest>): Promise<routerAdmin.ListRoutesResponse>;
  listAdvertisements(request?: Partial<routerAdmin.ListAdvertisementsRequest>): Promise<routerAdmin.ListAdvertisementsResponse>;
  close(): void;
}

/** Connects (lazily, on the first call) to the router's admin server; close() releases it. */
export function connectRouter(address: string, options: { deadlineMs?: number } = {}): RouterConnection {
  const target = parseAdminAddress(address, 'router address').target;
  const deadlineMs = options.deadlineMs ?? DEFAULT_CALL_DEADLINE_MS;
  const client = new routerAdmin.RouterClient(target, credentials.createInsecure(), ADMIN_CHANNEL_OPTIONS);

  const unary = adminUnary(target, deadlineMs);

  return {
    address: target,
    listPeers: (request = {}) => unary('ListPeers', (o, done) => client.listPeers(routerAdmin.ListPeersRequest.fromPartial(request), new Metadata(), o, done)),
    listRoutes: (request = {}) => unary('ListRoutes', (o, done) => client.listRoutes(routerAdmin.ListRoutesRequest.fromPartial(request), new Metadata(), o, done)),
    listAdvertisements: (request = {}) =>
      unary('ListAdvertisements', (o, done) => client.listAdvertisements(routerAdmin.ListAdvertisementsRequest.fromPartial(request), new Metadata(), o, done)),
    close: () => client.close(),
  };
}
