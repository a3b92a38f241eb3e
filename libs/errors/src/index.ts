// Named error classes shared by every package. Each carries `cause` (ES2022) so the
// chain survives logging (pino serialises `err.cause`), and a stable `name` so callers
// and log queries can tell them apart without parsing messages.

export class KrError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A flag or configuration value is invalid. Binaries print it and exit 2. */
export class ConfigError extends KrError {
  constructor(
    readonly flag: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${flag}: ${reason}`, options);
  }
}

/** An address or CIDR that does not parse, or is of the wrong family. */
export class AddressError extends KrError {
  constructor(
    readonly input: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${JSON.stringify(input)}: ${reason}`, options);
  }
}

/**
 * A bad value in a Kubernetes object written by a user (annotation, port, CIDR). It names
 * the object and the field so it can be reported once per object, and never stops the
 * rest of the state from being applied.
 */
export class ObjectInputError extends KrError {
  constructor(
    readonly kind: string,
    readonly object: string,
    readonly field: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${kind} ${object}: ${field}: ${reason}`, options);
  }
}

/**
 * A command of the dataplane failed: carries the command line, exit code, stderr and,
 * when the tool names one, the line of the input transaction it choked on.
 */
export class DataplaneError extends KrError {
  constructor(
    readonly command: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly failingLine?: { number: number; text: string },
    options?: { cause?: unknown },
  ) {
    const where = failingLine ? ` at input line ${failingLine.number}: ${failingLine.text}` : '';
    const why = stderr.trim().split('\n')[0] ?? '';
    super(`${command.join(' ')} exited ${exitCode ?? 'by signal'}${where}${why ? `: ${why}` : ''}`, options);
  }
}

/** The bus (NATS) could not be reached or refused an operation. */
export class BusError extends KrError {}

/** The Kubernetes API could not be reached or answered with an error. */
export class ApiError extends KrError {
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A sync of a reconcile loop failed; the runner retries and reports degraded health. */
export class SyncError extends KrError {}

/** The message of an unknown thrown value, for logs and status fields. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
