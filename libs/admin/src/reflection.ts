import { status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';
import { errorMessage } from '@kr/errors';
import { reflection } from '@kr/proto';
import { defaultDescriptorIndex, type DescriptorIndex } from './descriptors.js';
import type { AdminLogger } from './logger.js';

export const REFLECTION_V1 = 'grpc.reflection.v1.ServerReflection';
export const REFLECTION_V1ALPHA = 'grpc.reflection.v1alpha.ServerReflection';

/**
 * The reflection service under its pre-GA name. The messages are the same on the wire;
 * only the path differs. Clients such as grpcurl try one name and fall back to the other.
 */
export const ServerReflectionV1AlphaService = {
  serverReflectionInfo: {
    ...reflection.ServerReflectionService.serverReflectionInfo,
    path: `/${REFLECTION_V1ALPHA}/ServerReflectionInfo` as const,
  },
} as const;

type Request = reflection.ServerReflectionRequest;
type Response = reflection.ServerReflectionResponse;
type Stream = ServerDuplexStream<Request, Response>;

/**
 * Answers grpc.reflection.v1 (and v1alpha) ServerReflectionInfo streams from a
 * descriptor index. `services` is called per list_services request so it reflects what
 * the server actually serves.
 */
export class Reflection {
  private readonly streams = new Set<Stream>();

  constructor(
    private readonly services: () => readonly string[],
    private readonly log: AdminLogger,
    private readonly index: () => DescriptorIndex = defaultDescriptorIndex,
  ) {}

  readonly implementation: reflection.ServerReflectionServer = {
    serverReflectionInfo: (call) => this.serve(call),
  };

  /** Ends every open reflection stream (server shutdown). */
  closeAll(): void {
    for (const call of this.streams) call.end();
    this.streams.clear();
  }

  /**
   * One answer. `sent` holds the files already sent on this stream: dependencies are not
   * repeated, the file asked for always is.
   */
  answer(request: Request, sent: Set<string>): Response {
    const reply = (part: Partial<Response>): Response => ({ validHost: request.host, originalRequest: request, ...part });
    const error = (code: GrpcStatus, message: string): Response =>
      reply({ errorResponse: { errorCode: code, errorMessage: message } });
    const files = (name: string): Response =>
      reply({ fileDescriptorResponse: { fileDescriptorProto: this.index().withDependencies(name, sent).map((f) => f.bytes) } });

    if (request.listServices !== undefined) {
      return reply({ listServicesResponse: { service: [...this.services()].sort().map((name) => ({ name })) } });
    }
    if (request.fileByFilename !== undefined) {
      if (!this.index().file(request.fileByFilename)) return error(GrpcStatus.NOT_FOUND, `file ${JSON.stringify(request.fileByFilename)} not found`);
      return files(request.fileByFilename);
    }
    if (request.fileContainingSymbol !== undefined) {
      const file = this.index().fileOfSymbol(request.fileContainingSymbol);
      if (!file) return error(GrpcStatus.NOT_FOUND, `symbol ${JSON.stringify(request.fileContainingSymbol)} not found`);
      return files(file);
    }
    if (request.fileContainingExtension !== undefined) {
      const { containingType, extensionNumber } = request.fileContainingExtension;
      const file = this.index().fileOfExtension(containingType, extensionNumber);
      if (!file) return error(GrpcStatus.NOT_FOUND, `extension ${extensionNumber} of ${JSON.stringify(containingType)} not found`);
      return files(file);
    }
    if (request.allExtensionNumbersOfType !== undefined) {
      const numbers = this.index().extensionNumbers(request.allExtensionNumbersOfType);
      if (!numbers) return error(GrpcStatus.NOT_FOUND, `type ${JSON.stringify(request.allExtensionNumbersOfType)} not found`);
      return reply({ allExtensionNumbersResponse: { baseTypeName: request.allExtensionNumbersOfType, extensionNumber: numbers } });
    }
    return error(GrpcStatus.INVALID_ARGUMENT, 'the request asks nothing (no message_request field set)');
  }

  private serve(call: Stream): void {
    const sent = new Set<string>();
    this.streams.add(call);
    const forget = (): void => {
      this.streams.delete(call);
    };
    call.on('data', (request: Request) => {
      let response: Response;
      try {
        response = this.answer(request, sent);
      } catch (err) {
        // A broken descriptor set is our bug: tell the client and the log, keep the stream.
        this.log.error({ err, request }, 'reflection request failed');
        response = {
          validHost: request.host,
          originalRequest: request,
          errorResponse: { errorCode: GrpcStatus.INTERNAL, errorMessage: errorMessage(err) },
        };
      }
      call.write(response);
    });
    // The client half-closed: finish ours, unless shutdown already did.
    call.on('end', () => {
      if (this.streams.delete(call)) call.end();
    });
    call.on('cancelled', forget);
    call.on('error', (err: unknown) => {
      forget();
      this.log.debug({ err }, 'reflection stream failed');
    });
  }
}
