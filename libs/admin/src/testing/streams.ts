import { credentials, makeGenericClientConstructor, status as GrpcStatus, type Client, type ClientDuplexStream, type ClientReadableStream, type StatusObject } from '@grpc/grpc-js';
import { health, reflection } from '@kr/proto';
import { ServerReflectionV1AlphaService } from '../reflection.js';

/**
 * Reads a client stream message by message: next() resolves with the next message, or
 * rejects when the stream ended first. `ended` resolves with the final status.
 */
export class StreamReader<T> {
  private readonly queue: T[] = [];
  private readonly waiting: { resolve: (m: T) => void; reject: (e: Error) => void }[] = [];
  private finished: StatusObject | undefined;
  readonly ended: Promise<StatusObject>;

  constructor(stream: ClientReadableStream<T> | ClientDuplexStream<unknown, T>) {
    stream.on('data', (message: T) => {
      const waiter = this.waiting.shift();
      if (waiter) waiter.resolve(message);
      else this.queue.push(message);
    });
    // A cancelled or failed stream emits 'error' and then 'status'; the status is what
    // tests look at.
    stream.on('error', () => {});
    this.ended = new Promise((resolve) => {
      stream.on('status', (status: StatusObject) => {
        this.finished = status;
        for (const waiter of this.waiting.splice(0)) waiter.reject(new Error(`stream ended: ${GrpcStatus[status.code]} ${status.details}`));
        resolve(status);
      });
    });
  }

  next(timeoutMs = 5_000): Promise<T> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.finished) return Promise.reject(new Error(`stream ended: ${GrpcStatus[this.finished.code]}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no message within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push({
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  /** Messages already received and not yet read. */
  get pending(): number {
    return this.queue.length;
  }
}

export type ReflectionVersion = 'v1' | 'v1alpha';

const V1AlphaClient = makeGenericClientConstructor(ServerReflectionV1AlphaService, 'grpc.reflection.v1alpha.ServerReflection');

/** A real reflection client on one ServerReflectionInfo stream: one question, one answer. */
export function reflectionSession(target: string, version: ReflectionVersion) {
  const client: Client & { serverReflectionInfo(): ClientDuplexStream<reflection.ServerReflectionRequest, reflection.ServerReflectionResponse> } =
    version === 'v1'
      ? new reflection.ServerReflectionClient(target, credentials.createInsecure())
      : (new V1AlphaClient(target, credentials.createInsecure()) as never);
  const call = client.serverReflectionInfo();
  const reader = new StreamReader<reflection.ServerReflectionResponse>(call);
  return {
    ask(request: Partial<reflection.ServerReflectionRequest>): Promise<reflection.ServerReflectionResponse> {
      call.write(reflection.ServerReflectionRequest.fromPartial(request));
      return reader.next();
    },
    /** Half-closes and waits for the server's status. */
    async finish(): Promise<StatusObject> {
      call.end();
      return reader.ended;
    },
    ended: reader.ended,
    close(): void {
      call.cancel();
      client.close();
    },
  };
}

/** A real health client and one Watch stream on it. */
export function watchHealth(target: string, service: string) {
  const client = new health.HealthClient(target, credentials.createInsecure());
  const call = client.watch({ service });
  const reader = new StreamReader<health.HealthCheckResponse>(call);
  return {
    next: async (timeoutMs?: number) => (await reader.next(timeoutMs)).status,
    get pending() {
      return reader.pending;
    },
    ended: reader.ended,
    close(): void {
      call.cancel();
      client.close();
    },
  };
}
