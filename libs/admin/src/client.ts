import { Channel, credentials, Metadata, status as GrpcStatus, type CallOptions, type ServiceError } from '@grpc/grpc-js';
import { KrError } from '@kr/errors';
import { admin, health } from '@kr/proto';
import { parseAdminAddress } from './address.js';
import type { ServingStatus } from './health.js';

export const DEFAULT_CALL_DEADLINE_MS = 5_000;

// Channelz keeps bookkeeping nobody reads; `kr` and tests do not need it either.
export const ADMIN_CHANNEL_OPTIONS = { 'grpc.enable_channelz': 0 } as const;
const CHANNEL_OPTIONS = ADMIN_CHANNEL_OPTIONS;

/** An admin call that did not succeed; `code` is the gRPC status (e.g. UNAVAILABLE: nothing listens). */
export class AdminCallError extends KrError {
  constructor(
    readonly method: string,
    readonly address: string,
    readonly code: GrpcStatus,
    readonly details: string,
    options?: { cause?: unknown },
  ) {
    super(`${method} on ${address}: ${GrpcStatus[code] ?? code}: ${details}`, options);
  }

  /** The status name, e.g. "INVALID_ARGUMENT". */
  get codeName(): string {
    return GrpcStatus[this.code] ?? String(this.code);
  }
}

/** A promise-based client of one controller's admin API. */
export interface ControllerConnection {
  /** The `host:port` dialled. */
  readonly address: string;
  getStatus(): Promise<admin.GetStatusResponse>;
  getState(): Promise<admin.GetStateResponse>;
  resync(request?: Partial<admin.ResyncRequest>): Promise<admin.ResyncResponse>;
  setLogLevel(request: { level: string; module?: string }): Promise<admin.SetLogLevelResponse>;
  /** grpc.health.v1 Check; '' asks about the process as a whole. */
  healthCheck(service?: string): Promise<ServingStatus>;
  close(): void;
}

export interface ConnectOptions {
  /** Deadline of each call. Calls fail fast (UNAVAILABLE) when nothing listens. */
  deadlineMs?: number;
}

export type AdminUnary = <Res>(
  method: string,
  invoke: (options: Partial<CallOptions>, done: (err: ServiceError | null, response: Res) => void) => void,
) => Promise<Res>;

/**
 * Turns a grpc-js unary call into a promise with a per-call deadline, failing with
 * AdminCallError: shared by every admin client (Controller, health, per-controller
 * services such as the router's).
 */
export function adminUnary(target: string, deadlineMs: number): AdminUnary {
  return (method, invoke) =>
    new Promise((resolve, reject) => {
      invoke({ deadline: Date.now() + deadlineMs }, (err, response) => {
        if (err) reject(new AdminCallError(method, target, err.code, err.details, { cause: err }));
        else resolve(response);
      });
    });
}

/**
 * Connects (lazily, on the first call) to a controller's admin server. Both clients share
 * one channel, so one TCP connection; close() releases it. Every failure is an
 * AdminCallError.
 */
export function connectController(address: string, options: ConnectOptions = {}): ControllerConnection {
  const target = parseAdminAddress(address, 'controller address').target;
  const deadlineMs = options.deadlineMs ?? DEFAULT_CALL_DEADLINE_MS;
  const insecure = credentials.createInsecure();
  const channel = new Channel(target, insecure, CHANNEL_OPTIONS);
  const controller = new admin.ControllerClient(target, insecure, { channelOverride: channel });
  const healthClient = new health.HealthClient(target, insecure, { channelOverride: channel });

  const unary = adminUnary(target, deadlineMs);

  return {
    address: target,
    getStatus: () => unary('GetStatus', (o, done) => controller.getStatus({}, new Metadata(), o, done)),
    getState: () => unary('GetState', (o, done) => controller.getState({}, new Metadata(), o, done)),
    resync: (request = {}) =>
      unary('Resync', (o, done) => controller.resync(admin.ResyncRequest.fromPartial(request), new Metadata(), o, done)),
    setLogLevel: (request) =>
      unary('SetLogLevel', (o, done) => controller.setLogLevel(admin.SetLogLevelRequest.fromPartial(request), new Metadata(), o, done)),
    healthCheck: async (service = '') => {
      const response = await unary<health.HealthCheckResponse>('Health/Check', (o, done) =>
        healthClient.check({ service }, new Metadata(), o, done),
      );
      return response.status;
    },
    close: () => channel.close(),
  };
}
