// The router's only door to gobgpd: its gRPC API, over one channel per process. Every
// method maps our BGP vocabulary (model/bgp-types.ts) to GoBGP's messages and back;
// every failure is a GobgpError naming the RPC and the gRPC status.
//
// Sidecar restarts: gobgpd comes back empty (no config file). The client reports it in
// three ways the controller can rely on: the best-path watch ends with an error,
// onDisconnect() listeners fire when the connection that was up goes away, and getBgp()
// answers undefined (not started) once the new gobgpd is reachable. The channel itself
// reconnects quickly (loopback: short backoff), so re-creating everything is just
// calling startBgp/addPeer/addPath again on the same client.
import {
  Channel,
  connectivityState,
  credentials,
  Metadata,
  status as GrpcStatus,
  type CallOptions,
  type ClientReadableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import type { Cidr, Family, IPAddress } from '@kr/ip';
import { gobgp } from '@kr/proto/gobgp';
import type {
  BgpGlobal,
  DefinedSetSpec,
  ObservedPath,
  ObservedPeer,
  PathSpec,
  PeerSpec,
  PolicyAssignmentSpec,
  PolicySpec,
} from '../../model/bgp-types.js';
import {
  apiDefinedType,
  apiSetNames,
  definedSetChanges,
  definedSetEquals,
  fromApiDefinedSets,
  toApiDefinedSets,
  type DefinedSetKind,
} from './defined-sets.js';
import { GobgpError } from './errors.js';
import { toApiFamily } from './families.js';
import { fromApiPath, toApiPath, toApiWithdrawal } from './paths.js';
import { fromApiGlobal, fromApiPeer, peerSpecDiff, toApiGlobal, toApiPeer } from './peers.js';
import {
  apiPolicyDirection,
  fromApiAssignment,
  fromApiPolicy,
  GLOBAL_ASSIGNMENT,
  policyEquals,
  policyGeneration,
  toApiAssignment,
  toApiPolicy,
} from './policies.js';

/** kube-router's --gobgp-admin-address / --gobgp-admin-port defaults. */
export const DEFAULT_GOBGP_ADDRESS = '127.0.0.1';
export const DEFAULT_GOBGP_PORT = 50051;
export const DEFAULT_CALL_TIMEOUT_MS = 5_000;
export const DEFAULT_LIST_TIMEOUT_MS = 30_000;

/** The gRPC target for an address and port (IPv6 in brackets); `unix:` paths pass through. */
export function gobgpTarget(address: string, port: number): string {
  if (address.startsWith('unix:')) return address;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

export interface GobgpClientOptions {
  /** gRPC target: `host:port`, `[v6]:port` or `unix:///path` (see gobgpTarget). */
  readonly target: string;
  /** Deadline of each unary call. */
  readonly callTimeoutMs?: number;
  /** Deadline of each list (server-streaming) call. */
  readonly listTimeoutMs?: number;
}

export type PathTable = 'global' | 'adj-in';
export type SoftResetDirection = 'in' | 'out' | 'both';

export interface BestPathWatch {
  /** Ends the stream; onEnd is then called with no error. Safe to call twice. */
  close(): void;
}

const CHANNEL_OPTIONS = {
  'grpc.enable_channelz': 0,
  // gobgpd is on loopback: retry its (re)start every second or two, not grpc-js's
  // default of up to two minutes, so a restarted sidecar is picked up promptly.
  'grpc.initial_reconnect_backoff_ms': 250,
  'grpc.max_reconnect_backoff_ms': 2_000,
  // Never drop an idle connection on our own: a connection going away then always
  // means gobgpd went away (see onDisconnect).
  'grpc.client_idle_timeout_ms': 2 ** 31 - 1,
} as const;

const isNotFound = (err: GobgpError) => err.code === GrpcStatus.UNKNOWN && /not found|doesn't exist|can't delete a peer configuration/i.test(err.details);

export class GobgpClient {
  readonly target: string;
  private readonly channel: Channel;
  private readonly api: gobgp.GobgpApiClient;
  private readonly callTimeoutMs: number;
  private readonly listTimeoutMs: number;
  private readonly disconnectListeners = new Set<() => void>();
  private readonly watches = new Set<BestPathWatch>();
  private closed = false;

  constructor(options: GobgpClientOptions) {
    this.target = options.target;
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.listTimeoutMs = options.listTimeoutMs ?? DEFAULT_LIST_TIMEOUT_MS;
    const insecure = credentials.createInsecure();
    this.channel = new Channel(this.target, insecure, CHANNEL_OPTIONS);
    this.api = new gobgp.GobgpApiClient(this.target, insecure, { channelOverride: this.channel });
    this.followConnectivity(this.channel.getConnectivityState(false));
  }

  // ---- BGP server -------------------------------------------------------------------

  async startBgp(global: BgpGlobal): Promise<void> {
    const request = { global: toApiGlobal(global) };
    await this.unary('StartBgp', (o, done) => this.api.startBgp(request, new Metadata(), o, done));
  }

  /** The running server's settings, or undefined when BGP is not started (e.g. after a sidecar restart). */
  async getBgp(): Promise<BgpGlobal | undefined> {
    const response = await this.unary<gobgp.GetBgpResponse>('GetBgp', (o, done) => this.api.getBgp({}, new Metadata(), o, done));
    return fromApiGlobal(response.global);
  }

  async stopBgp(): Promise<void> {
    await this.unary('StopBgp', (o, done) => this.api.stopBgp({}, new Metadata(), o, done));
  }

  // ---- peers ------------------------------------------------------------------------

  /** Peers with their configuration and session; `address` lists only that one. */
  async listPeers(options: { address?: IPAddress; withAdvertised?: boolean } = {}): Promise<ObservedPeer[]> {
    const request = { address: options.address?.address ?? '', enableAdvertised: options.withAdvertised ?? true };
    const responses = await this.list<gobgp.ListPeerResponse>('ListPeer', (o) => this.api.listPeer(request, new Metadata(), o));
    return responses.flatMap((r) => (r.peer ? [fromApiPeer(r.peer)] : []));
  }

  async addPeer(spec: PeerSpec): Promise<void> {
    const request = { peer: toApiPeer(spec) };
    await this.unary('AddPeer', (o, done) => this.api.addPeer(request, new Metadata(), o, done));
  }

  /**
   * Changes a peer; only call it when peerSpecDiff() is not empty. GoBGP 3.10 resets
   * the session on every UpdatePeer: it compares the request with its own copy, in
   * which defaults (local ASN, peer type) were filled in, so they always differ. Its
   * in-place path also ignores route-reflector and multihop settings, so for those the
   * peer is explicitly deleted and added again.
   */
  async updatePeer(spec: PeerSpec): Promise<void> {
    const [current] = await this.listPeers({ address: spec.address, withAdvertised: false });
    const diff = current ? peerSpecDiff(spec, current.spec) : [];
    if (diff.includes('routeReflectorClient') || diff.includes('multihopTtl')) {
      await this.deletePeer(spec.address);
      await this.addPeer(spec);
      return;
    }
    const request = { peer: toApiPeer(spec), doSoftResetIn: true };
    await this.unary('UpdatePeer', (o, done) => this.api.updatePeer(request, new Metadata(), o, done));
  }

  /** Removes a peer; a peer that is not there is not an error. */
  async deletePeer(address: IPAddress): Promise<void> {
    const request = { address: address.address, interface: '' };
    await this.ignoreNotFound(this.unary('DeletePeer', (o, done) => this.api.deletePeer(request, new Metadata(), o, done)));
  }

  /**
   * Re-applies policies without dropping sessions: 'in' re-runs the import policy over
   * what peers sent, 'out' re-sends through the export policy. GoBGP applies changed
   * policies and defined sets only to routes processed afterwards, so call this after
   * changing them.
   */
  async softResetPeers(direction: SoftResetDirection, address?: IPAddress): Promise<void> {
    const dir = { in: gobgp.ResetPeerRequest_SoftResetDirection.IN, out: gobgp.ResetPeerRequest_SoftResetDirection.OUT, both: gobgp.ResetPeerRequest_SoftResetDirection.BOTH };
    const request = { address: address?.address ?? 'all', communication: '', soft: true, direction: dir[direction] };
    await this.unary('ResetPeer', (o, done) => this.api.resetPeer(request, new Metadata(), o, done));
  }

  // ---- paths ------------------------------------------------------------------------

  /** Advertises `spec` (or replaces our path for the same prefix). */
  async addPath(spec: PathSpec): Promise<void> {
    const request = { tableType: gobgp.TableType.GLOBAL, vrfId: '', path: toApiPath(spec) };
    await this.unary('AddPath', (o, done) => this.api.addPath(request, new Metadata(), o, done));
  }

  /** Withdraws our path for the prefix; withdrawing what is not advertised is not an error. */
  async deletePath(path: { readonly prefix: Cidr; readonly nextHop?: IPAddress }): Promise<void> {
    const request = {
      tableType: gobgp.TableType.GLOBAL,
      vrfId: '',
      family: toApiFamily(path.prefix.family),
      path: toApiWithdrawal(path.prefix, path.nextHop),
      uuid: Buffer.alloc(0),
    };
    await this.unary('DeletePath', (o, done) => this.api.deletePath(request, new Metadata(), o, done));
  }

  /**
   * Paths of one family: the global RIB (ours and the accepted ones learned, `best`
   * marked) or one peer's Adj-RIB-In (everything it sent, `filtered` when the import
   * policy rejects it).
   */
  async listPaths(family: Family, options: { table: PathTable; peer?: IPAddress }): Promise<ObservedPath[]> {
    const adjIn = options.table === 'adj-in';
    if (adjIn && !options.peer) throw new TypeError('listPaths: the adj-in table needs a peer');
    const request = gobgp.ListPathRequest.fromPartial({
      tableType: adjIn ? gobgp.TableType.ADJ_IN : gobgp.TableType.GLOBAL,
      name: adjIn ? options.peer!.address : '',
      family: toApiFamily(family),
      enableFiltered: adjIn,
    });
    const responses = await this.list<gobgp.ListPathResponse>('ListPath', (o) => this.api.listPath(request, new Metadata(), o));
    const paths: ObservedPath[] = [];
    for (const r of responses) {
      for (const p of r.destination?.paths ?? []) {
        const path = fromApiPath(p);
        if (path) paths.push(path);
      }
    }
    return paths;
  }

  /**
   * Streams best-path changes of IPv4/IPv6 unicast: first the current best paths (once
   * BGP is started), then every change, withdrawals flagged. `onEnd` is called exactly
   * once: with no error by close() itself, with a GobgpError when the stream broke (gobgpd
   * stopped or restarted: re-check getBgp() and re-create what is missing).
   */
  watchBestPaths(onPaths: (paths: ObservedPath[]) => void, onEnd: (error?: GobgpError) => void): BestPathWatch {
    const request = gobgp.WatchEventRequest.fromPartial({
      table: { filters: [{ type: gobgp.WatchEventRequest_Table_Filter_Type.BEST, init: true }] },
    });
    const call = this.api.watchEvent(request, new Metadata(), {});
    let ended = false;
    const end = (error?: GobgpError) => {
      if (ended) return;
      ended = true;
      this.watches.delete(watch);
      onEnd(error);
    };
    const watch: BestPathWatch = {
      close: () => {
        if (ended) return;
        end();
        call.cancel();
      },
    };
    this.watches.add(watch);
    call.on('data', (response: gobgp.WatchEventResponse) => {
      if (ended || !response.table) return;
      const paths: ObservedPath[] = [];
      for (const p of response.table.paths) {
        const path = fromApiPath(p, { best: !p.isWithdraw });
        if (path) paths.push(path);
      }
      if (paths.length > 0) onPaths(paths);
    });
    // After close() these only report the cancellation, which end() ignores.
    call.on('error', (err: ServiceError) => end(this.error('WatchEvent', err)));
    // GoBGP never ends the stream by itself; a clean end means the server went away.
    call.on('end', () => end(new GobgpError('WatchEvent', this.target, GrpcStatus.UNAVAILABLE, 'watch stream ended by the server')));
    return watch;
  }

  // ---- defined sets -----------------------------------------------------------------

  /** Creates a set that does not exist yet (GoBGP would append to an existing one). */
  async addDefinedSet(spec: DefinedSetSpec): Promise<void> {
    for (const definedSet of toApiDefinedSets(spec)) {
      await this.unary('AddDefinedSet', (o, done) => this.api.addDefinedSet({ definedSet }, new Metadata(), o, done));
    }
  }

  /**
   * Makes GoBGP hold exactly `spec`, editing an existing set in place (it may be
   * referenced by a policy). Returns whether anything changed.
   */
  async replaceDefinedSet(spec: DefinedSetSpec): Promise<boolean> {
    const current = (await this.listDefinedSets(spec.kind)).find((s) => s.name === spec.name);
    if (!current) {
      await this.addDefinedSet(spec);
      return true;
    }
    if (definedSetEquals(spec, current)) return false;
    // A prefix set half may be missing (created by someone else): create it first.
    const existing = new Set(await this.listApiSetNames(spec.kind));
    for (const definedSet of toApiDefinedSets(spec)) {
      if (!existing.has(definedSet.name)) {
        await this.unary('AddDefinedSet', (o, done) => this.api.addDefinedSet({ definedSet }, new Metadata(), o, done));
      }
    }
    const { add, remove } = definedSetChanges(spec, current);
    for (const definedSet of add) {
      if (!existing.has(definedSet.name)) continue; // just created whole
      await this.unary('AddDefinedSet', (o, done) => this.api.addDefinedSet({ definedSet }, new Metadata(), o, done));
    }
    for (const definedSet of remove) {
      await this.unary('DeleteDefinedSet', (o, done) => this.api.deleteDefinedSet({ definedSet, all: false }, new Metadata(), o, done));
    }
    return true;
  }

  /** Deletes a set (both family halves of a prefix set); an absent set is not an error. */
  async deleteDefinedSet(kind: DefinedSetKind, name: string): Promise<void> {
    for (const setName of apiSetNames({ kind, name })) {
      const definedSet = gobgp.DefinedSet.fromPartial({ definedType: apiDefinedType(kind), name: setName });
      await this.ignoreNotFound(this.unary('DeleteDefinedSet', (o, done) => this.api.deleteDefinedSet({ definedSet, all: true }, new Metadata(), o, done)));
    }
  }

  /** Our sets as specs (prefix pairs folded, sentinels hidden), of one kind or all. */
  async listDefinedSets(kind?: DefinedSetKind): Promise<DefinedSetSpec[]> {
    const kinds: DefinedSetKind[] = kind ? [kind] : ['prefix', 'neighbor', 'community'];
    const sets: gobgp.DefinedSet[] = [];
    for (const k of kinds) sets.push(...(await this.listApiDefinedSets(k)));
    return fromApiDefinedSets(sets);
  }

  private async listApiDefinedSets(kind: DefinedSetKind): Promise<gobgp.DefinedSet[]> {
    const request = { definedType: apiDefinedType(kind), name: '' };
    const responses = await this.list<gobgp.ListDefinedSetResponse>('ListDefinedSet', (o) => this.api.listDefinedSet(request, new Metadata(), o));
    return responses.flatMap((r) => (r.definedSet ? [r.definedSet] : []));
  }

  private async listApiSetNames(kind: DefinedSetKind): Promise<string[]> {
    return (await this.listApiDefinedSets(kind)).map((s) => s.name);
  }

  // ---- policies ---------------------------------------------------------------------

  /** Creates a policy with its statements; the defined sets it names must exist. */
  async addPolicy(spec: PolicySpec): Promise<void> {
    const request = { policy: toApiPolicy(spec, 1), referExistingStatements: false };
    await this.unary('AddPolicy', (o, done) => this.api.addPolicy(request, new Metadata(), o, done));
  }

  /**
   * Makes the policy `spec.name` hold exactly `spec`, in place so its assignments stay:
   * the new statements are appended, then the old ones removed (never a moment with
   * neither). Returns whether anything changed. Follow with softResetPeers().
   */
  async replacePolicy(spec: PolicySpec): Promise<boolean> {
    const current = (await this.listApiPolicies()).find((p) => p.name === spec.name);
    if (!current) {
      await this.addPolicy(spec);
      return true;
    }
    if (policyEquals(spec, fromApiPolicy(current))) return false;
    const next = toApiPolicy(spec, policyGeneration(current) + 1);
    if (next.statements.length > 0) {
      await this.unary('AddPolicy', (o, done) => this.api.addPolicy({ policy: next, referExistingStatements: false }, new Metadata(), o, done));
    }
    if (current.statements.length > 0) {
      const old = { name: spec.name, statements: current.statements.map((s) => gobgp.Statement.fromPartial({ name: s.name })) };
      await this.unary('DeletePolicy', (o, done) => this.api.deletePolicy({ policy: old, all: false, preserveStatements: false }, new Metadata(), o, done));
      // GoBGP 3.10 forgets statements removed from a policy without deleting them
      // (DeletePolicy only sweeps the ones still listed); delete them explicitly.
      for (const statement of old.statements) {
        await this.ignoreNotFound(this.unary('DeleteStatement', (o, done) => this.api.deleteStatement({ statement, all: true }, new Metadata(), o, done)));
      }
    }
    return true;
  }

  /** Deletes a policy and its statements; unassign it first. An absent policy is not an error. */
  async deletePolicy(name: string): Promise<void> {
    const request = { policy: { name, statements: [] }, all: true, preserveStatements: false };
    await this.ignoreNotFound(this.unary('DeletePolicy', (o, done) => this.api.deletePolicy(request, new Metadata(), o, done)));
  }

  async listPolicies(): Promise<PolicySpec[]> {
    return (await this.listApiPolicies()).map(fromApiPolicy);
  }

  private async listApiPolicies(): Promise<gobgp.Policy[]> {
    const responses = await this.list<gobgp.ListPolicyResponse>('ListPolicy', (o) => this.api.listPolicy({ name: '' }, new Metadata(), o));
    return responses.flatMap((r) => (r.policy ? [r.policy] : []));
  }

  // ---- global policy assignments ----------------------------------------------------

  /** Sets the global import or export policy list and default action in one call. */
  async setPolicyAssignment(spec: PolicyAssignmentSpec): Promise<void> {
    const request = { assignment: toApiAssignment(spec) };
    await this.unary('SetPolicyAssignment', (o, done) => this.api.setPolicyAssignment(request, new Metadata(), o, done));
  }

  async listPolicyAssignments(): Promise<PolicyAssignmentSpec[]> {
    const result: PolicyAssignmentSpec[] = [];
    for (const direction of ['import', 'export'] as const) {
      const request = { name: GLOBAL_ASSIGNMENT, direction: apiPolicyDirection(direction) };
      const responses = await this.list<gobgp.ListPolicyAssignmentResponse>('ListPolicyAssignment', (o) =>
        this.api.listPolicyAssignment(request, new Metadata(), o),
      );
      for (const r of responses) if (r.assignment) result.push(fromApiAssignment(r.assignment, direction));
    }
    return result;
  }

  /**
   * Unassigns every policy of the global import or export and restores the default
   * action GoBGP starts with (accept). Not GoBGP's DeletePolicyAssignment: that leaves
   * the default unset, which rejects every route.
   */
  async clearPolicyAssignment(direction: PolicyAssignmentSpec['direction']): Promise<void> {
    await this.setPolicyAssignment({ direction, policies: [], defaultAction: 'accept' });
  }

  // ---- connection -------------------------------------------------------------------

  /**
   * Calls `listener` whenever the connection to gobgpd that was up is lost (gobgpd
   * stopped, crashed or is being restarted). Returns an unsubscribe function.
   */
  onDisconnect(listener: () => void): () => void {
    this.disconnectListeners.add(listener);
    return () => this.disconnectListeners.delete(listener);
  }

  /** Ends open watches (their onEnd gets no error) and releases the channel. */
  close(): void {
    if (this.closed) return;
    for (const watch of [...this.watches]) watch.close();
    this.closed = true;
    this.disconnectListeners.clear();
    this.channel.close();
  }

  private followConnectivity(current: connectivityState): void {
    if (this.closed) return;
    this.channel.watchConnectivityState(current, Infinity, () => {
      if (this.closed) return;
      const next = this.channel.getConnectivityState(false);
      if (current === connectivityState.READY && next !== connectivityState.READY) {
        for (const listener of [...this.disconnectListeners]) listener();
      }
      this.followConnectivity(next);
    });
  }

  private error(rpc: string, err: ServiceError): GobgpError {
    return new GobgpError(rpc, this.target, err.code, err.details, { cause: err });
  }

  private unary<Res>(rpc: string, invoke: (options: Partial<CallOptions>, done: (err: ServiceError | null, response: Res) => void) => void): Promise<Res> {
    return new Promise((resolve, reject) => {
      invoke({ deadline: Date.now() + this.callTimeoutMs }, (err, response) => {
        if (err) reject(this.error(rpc, err));
        else resolve(response);
      });
    });
  }

  /** Collects a server-streaming response; the call ends with the stream. */
  private list<Res>(rpc: string, start: (options: Partial<CallOptions>) => ClientReadableStream<Res>): Promise<Res[]> {
    return new Promise((resolve, reject) => {
      const items: Res[] = [];
      const call = start({ deadline: Date.now() + this.listTimeoutMs });
      call.on('data', (item: Res) => items.push(item));
      call.on('error', (err: ServiceError) => reject(this.error(rpc, err)));
      call.on('end', () => resolve(items));
    });
  }

  private async ignoreNotFound(call: Promise<unknown>): Promise<void> {
    try {
      await call;
    } catch (err) {
      if (err instanceof GobgpError && isNotFound(err)) return;
      throw err;
    }
  }
}
