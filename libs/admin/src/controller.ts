import { status as GrpcStatus, type handleUnaryCall, type StatusObject } from '@grpc/grpc-js';
import { AddressError, ConfigError, errorMessage } from '@kr/errors';
import { admin } from '@kr/proto';
import type { AdminLogger } from './logger.js';

/** The levels SetLogLevel accepts (pino's, as the proto documents). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** What a controller implements for the common kuberouter.admin.v1.Controller service. */
export interface ControllerHandlers {
  getStatus(): Promise<admin.GetStatusResponse>;
  getState(): Promise<admin.GetStateResponse>;
  resync(request: admin.ResyncRequest): Promise<admin.ResyncResponse>;
  /** Called with a level from LOG_LEVELS only; throw ConfigError for an unknown module. */
  setLogLevel(request: admin.SetLogLevelRequest): Promise<admin.SetLogLevelResponse>;
}

/**
 * The gRPC status for an error thrown by a handler: bad input from the caller is
 * INVALID_ARGUMENT (the caller can fix it), anything else INTERNAL, with the message.
 */
export function statusOf(err: unknown): Pick<StatusObject, 'code' | 'details'> {
  const invalidInput = err instanceof ConfigError || err instanceof AddressError;
  return { code: invalidInput ? GrpcStatus.INVALID_ARGUMENT : GrpcStatus.INTERNAL, details: errorMessage(err) };
}

/**
 * A grpc-js unary handler from an async function, with statusOf's error mapping.
 * Internal failures are logged here, once; invalid input only at debug, since it is
 * the caller's mistake and already answered.
 */
export function unaryHandler<Req, Res>(method: string, fn: (request: Req) => Promise<Res>, log?: AdminLogger): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    let pending: Promise<Res>;
    try {
      pending = fn(call.request);
    } catch (err) {
      // A handler that throws before returning its promise is treated the same way.
      pending = Promise.reject(err);
    }
    pending.then(
      (response) => callback(null, response),
      (err: unknown) => {
        const status = statusOf(err);
        if (status.code === GrpcStatus.INTERNAL) log?.error({ err, method }, 'admin call failed');
        else log?.debug({ err, method }, 'admin call rejected');
        callback(status);
      },
    );
  };
}

/** The Controller service for AdminServer.addService: `server.addService(...controllerService(h))`. */
export function controllerService(
  handlers: ControllerHandlers,
  log?: AdminLogger,
): [typeof admin.ControllerService, admin.ControllerServer] {
  // Responses go through fromPartial: a handler that leaves out a repeated field (JS
  // callers, casts) would otherwise fail in the encoder as a bare "Error serializing
  // response" that names neither the method nor the field.
  const implementation: admin.ControllerServer = {
    getStatus: unaryHandler('GetStatus', async () => admin.GetStatusResponse.fromPartial(await handlers.getStatus()), log),
    getState: unaryHandler('GetState', async () => admin.GetStateResponse.fromPartial(await handlers.getState()), log),
    resync: unaryHandler(
      'Resync',
      async (request: admin.ResyncRequest) => admin.ResyncResponse.fromPartial(await handlers.resync(request)),
      log,
    ),
    setLogLevel: unaryHandler(
      'SetLogLevel',
      async (request: admin.SetLogLevelRequest) => {
        if (!(LOG_LEVELS as readonly string[]).includes(request.level)) {
          throw new ConfigError('level', `${JSON.stringify(request.level)} is not one of ${LOG_LEVELS.join(', ')}`);
        }
        return admin.SetLogLevelResponse.fromPartial(await handlers.setLogLevel(request));
      },
      log,
    ),
  };
  return [admin.ControllerService, implementation];
}
