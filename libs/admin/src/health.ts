import { status as GrpcStatus, type ServerWritableStream } from '@grpc/grpc-js';
import { health } from '@kr/proto';

export const ServingStatus = health.HealthCheckResponse_ServingStatus;
export type ServingStatus = health.HealthCheckResponse_ServingStatus;

/** What a server may declare; SERVICE_UNKNOWN is only ever sent by Watch, by the board. */
export type DeclaredServingStatus =
  | health.HealthCheckResponse_ServingStatus.UNKNOWN
  | health.HealthCheckResponse_ServingStatus.SERVING
  | health.HealthCheckResponse_ServingStatus.NOT_SERVING;

type Watch = ServerWritableStream<health.HealthCheckRequest, health.HealthCheckResponse>;

/**
 * The state behind grpc.health.v1.Health
 * (https://github.com/grpc/grpc/blob/master/doc/health-checking.md): a status per
 * service name, '' being the server as a whole, and the open Watch streams to push
 * changes to.
 */
export class HealthBoard {
  private readonly statuses = new Map<string, ServingStatus>([['', ServingStatus.SERVING]]);
  private readonly watches = new Map<string, Set<Watch>>();
  private shuttingDown = false;

  set(service: string, status: DeclaredServingStatus): void {
    // Like grpc-go: once shutting down, everything stays NOT_SERVING so a late update
    // from a controller cannot make a departing server look healthy.
    if (this.shuttingDown) return;
    this.update(service, status);
  }

  get(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  /** Every service NOT_SERVING (pushed to watchers), then every Watch stream ended. */
  shutdown(): void {
    this.shuttingDown = true;
    for (const service of this.statuses.keys()) this.update(service, ServingStatus.NOT_SERVING);
    for (const watches of this.watches.values()) for (const call of watches) call.end();
    this.watches.clear();
  }

  get openWatches(): number {
    let n = 0;
    for (const watches of this.watches.values()) n += watches.size;
    return n;
  }

  readonly implementation: health.HealthServer = {
    check: (call, callback) => {
      const status = this.statuses.get(call.request.service);
      if (status === undefined) {
        callback({ code: GrpcStatus.NOT_FOUND, details: `unknown service ${JSON.stringify(call.request.service)}` });
        return;
      }
      callback(null, { status });
    },
    watch: (call) => {
      const service = call.request.service;
      // The spec: an unknown service is answered with SERVICE_UNKNOWN and the stream
      // stays open, so the watcher learns when the service appears.
      call.write({ status: this.statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN });
      if (this.shuttingDown) {
        call.end();
        return;
      }
      const watches = this.watches.get(service) ?? new Set<Watch>();
      this.watches.set(service, watches);
      watches.add(call);
      const forget = (): void => {
        watches.delete(call);
        if (watches.size === 0 && this.watches.get(service) === watches) this.watches.delete(service);
      };
      call.on('cancelled', forget);
      call.on('error', forget);
      call.on('finish', forget);
    },
  };

  private update(service: string, status: ServingStatus): void {
    if (this.statuses.get(service) === status) return;
    this.statuses.set(service, status);
    for (const call of this.watches.get(service) ?? []) call.write({ status });
  }
}
