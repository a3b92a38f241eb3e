// A promise-based client of the router's own admin service (kuberouter.admin.v1.Router),
// failing the same way connectController does: every failure is an AdminCallError.
import { credentials, Metadata, type CallOptions, type ServiceError } from '@grpc/grpc-js';
import { AdminCallError, DEFAULT_CALL_DEADLINE_MS, parseAdminAddress } from '@kr/admin';
import { routerAdmin } from '@kr/proto';

// Channelz keeps bookkeeping nobody reads in a one-shot CLI.
const CHANNEL_OPTIONS = { 'grpc.enable_channelz': 0 } as const;

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
  const client = new routerAdmin.RouterClient(target, credentials.createInsecure(), CHANNEL_OPTIONS);

  const unary = <Res>(method: string, invoke: (options: Partial<CallOptions>, done: (err: ServiceError | null, response: Res) => void) => void): Promise<Res> =>
    new Promise((resolve, reject) => {
      invoke({ deadline: Date.now() + deadlineMs }, (err, response) => {
        if (err) reject(new AdminCallError(method, target, err.code, err.details, { cause: err }));
        else resolve(response);
      });
    });

  return {
    address: target,
    listPeers: (request = {}) => unary('ListPeers', (o, done) => client.listPeers(routerAdmin.ListPeersRequest.fromPartial(request), new Metadata(), o, done)),
    listRoutes: (request = {}) => unary('ListRoutes', (o, done) => client.listRoutes(routerAdmin.ListRoutesRequest.fromPartial(request), new Metadata(), o, done)),
    listAdvertisements: (request = {}) =>
      unary('ListAdvertisements', (o, done) => client.listAdvertisements(routerAdmin.ListAdvertisementsRequest.fromPartial(request), new Metadata(), o, done)),
    close: () => client.close(),
  };
}
