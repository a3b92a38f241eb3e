// Errors of the GoBGP adapter. A failed RPC names the call and carries gRPC's status so
// callers can tell "gobgpd is not there" (UNAVAILABLE: the sidecar is down or restarting)
// from "gobgpd refused this" (UNKNOWN with GoBGP's own message, e.g. a duplicate peer).
import { status as GrpcStatus } from '@grpc/grpc-js';
import { KrError } from '@kr/errors';

export class GobgpError extends KrError {
  constructor(
    /** The RPC, e.g. "AddPeer". */
    readonly rpc: string,
    /** The gRPC target dialled. */
    readonly target: string,
    readonly code: GrpcStatus,
    /** GoBGP's (or grpc-js's) message. */
    readonly details: string,
    options?: { cause?: unknown },
  ) {
    super(`gobgp ${rpc} on ${target}: ${GrpcStatus[code] ?? code}: ${details}`, options);
  }

  /** The status name, e.g. "UNAVAILABLE". */
  get codeName(): string {
    return GrpcStatus[this.code] ?? String(this.code);
  }

  /** gobgpd could not be reached (down, restarting, or the call timed out). */
  get unreachable(): boolean {
    return this.code === GrpcStatus.UNAVAILABLE || this.code === GrpcStatus.DEADLINE_EXCEEDED;
  }
}

/**
 * A desired-state value that cannot be expressed in GoBGP's API (an unparsable
 * community, a feature the adapter deliberately does not map). Raised before any RPC.
 */
export class GobgpSpecError extends KrError {
  constructor(
    /** What was being mapped, e.g. "path 10.244.1.0/24". */
    readonly subject: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${subject}: ${reason}`, options);
  }
}
