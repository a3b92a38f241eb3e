import { ApiError } from '@kr/errors';
import type { V1Status } from '@kubernetes/client-node';

/** Builds an ApiError from an error response, using the Status object the server sends. */
export function apiErrorFromResponse(what: string, statusCode: number, body: string): ApiError {
  const status = parseStatus(body);
  const reason = status?.reason ? ` ${status.reason}` : '';
  const message = status?.message ?? (body.trim().slice(0, 200) || 'no body');
  return new ApiError(`${what}: HTTP ${statusCode}${reason}: ${message}`, statusCode);
}

/** Builds an ApiError from a watch ERROR event (410 Expired arrives this way). */
export function apiErrorFromStatus(what: string, status: V1Status | undefined): ApiError {
  const code = status?.code;
  const reason = status?.reason ? ` ${status.reason}` : '';
  return new ApiError(`${what}: watch error${code ? ` ${code}` : ''}${reason}: ${status?.message ?? 'no message'}`, code);
}

function parseStatus(body: string): V1Status | undefined {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (typeof parsed === 'object' && parsed !== null && (parsed as { kind?: unknown }).kind === 'Status') {
      return parsed as V1Status;
    }
  } catch {
    // Not JSON (a proxy's HTML error page, say): the raw text is used instead.
  }
  return undefined;
}

/** Whether an error is an ApiError with the given HTTP status (404 NotFound, 409 Conflict, 410 Gone...). */
export function isApiStatus(err: unknown, status: number): boolean {
  return err instanceof ApiError && err.status === status;
}
