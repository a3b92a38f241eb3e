// metav1.Status failures shaped as kube-apiserver shapes them (reason, details, causes,
// and the message wording clients and people grep for), and field.Error formatting.
import { KrError } from '@kr/errors';
import { qualifiedResource, type ResourceType } from './simulator-resources.js';

export interface StatusCause {
  readonly reason: string;
  readonly message: string;
  readonly field?: string;
}

export interface Status {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure' | 'Success';
  readonly message: string;
  readonly reason: string;
  readonly details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
  readonly code: number;
}

/** A request the simulator refuses; carries the Status body and HTTP code to answer with. */
export class StatusError extends KrError {
  constructor(readonly status: Status) {
    super(status.message);
  }

  get code(): number {
    return this.status.code;
  }
}

function failure(code: number, reason: string, message: string, details?: Status['details']): StatusError {
  return new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code });
}

function resourceDetails(type: ResourceType, name: string): Status['details'] {
  return { name, ...(type.group ? { group: type.group } : {}), kind: type.plural };
}

export function notFound(type: ResourceType, name: string): StatusError {
  return failure(404, 'NotFound', `${qualifiedResource(type)} "${name}" not found`, resourceDetails(type, name));
}

export function alreadyExists(type: ResourceType, name: string): StatusError {
  return failure(409, 'AlreadyExists', `${qualifiedResource(type)} "${name}" already exists`, resourceDetails(type, name));
}

export function conflict(type: ResourceType, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): StatusError {
  return failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(type)} "${name}": ${why}`, resourceDetails(type, name));
}

export function forbidden(type: ResourceType, name: string, why: string): StatusError {
  return failure(403, 'Forbidden', `${qualifiedResource(type)} "${name}" is forbidden: ${why}`, resourceDetails(type, name));
}

export function badRequest(message: string): StatusError {
  return failure(400, 'BadRequest', message);
}

export function gone(message: string): StatusError {
  return failure(410, 'Expired', message);
}

export function methodNotAllowed(message: string): StatusError {
  return failure(405, 'MethodNotAllowed', message);
}

export function unsupportedMediaType(contentType: string): StatusError {
  return failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${contentType})`);
}

export function resourceNotFound(): StatusError {
  return failure(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function internalError(message: string): StatusError {
  return failure(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ reason: '', message }] });
}

/** apimachinery's field.ErrorType values, by the cause reason they map to. */
const FIELD_ERROR_TYPES = {
  Required: { reason: 'FieldValueRequired', text: 'Required value', showValue: false },
  Invalid: { reason: 'FieldValueInvalid', text: 'Invalid value', showValue: true },
  NotSupported: { reason: 'FieldValueNotSupported', text: 'Unsupported value', showValue: true },
  Duplicate: { reason: 'FieldValueDuplicate', text: 'Duplicate value', showValue: true },
  Forbidden: { reason: 'FieldValueForbidden', text: 'Forbidden', showValue: false },
  TooMany: { reason: 'FieldValueTooMany', text: 'Too many', showValue: true },
  TooLong: { reason: 'FieldValueTooLong', text: 'Too long', showValue: false },
} as const;

export type FieldErrorType = keyof typeof FIELD_ERROR_TYPES;

export interface FieldError {
  readonly type: FieldErrorType;
  readonly field: string;
  readonly value?: unknown;
  readonly detail?: string;
}

/** Go's %v/%q rendering of a bad value, close enough for people and tests to read. */
function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined || value === null) return 'null';
  if (Array.isArray(value)) return `[]{${value.map(formatValue).join(', ')}}`;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The body of one field error, without the field: `Invalid value: 0: must be ...`. */
export function fieldErrorBody(error: FieldError): string {
  const type = FIELD_ERROR_TYPES[error.type];
  let text: string = type.text;
  if (type.showValue) text += `: ${formatValue(error.value)}`;
  if (error.detail) text += `: ${error.detail}`;
  return text;
}

export function formatFieldError(error: FieldError): string {
  return `${error.field}: ${fieldErrorBody(error)}`;
}

/** 422 Invalid, as errors.NewInvalid: details name the kind (not the resource) and every cause. */
export function invalid(type: ResourceType, name: string, errors: readonly FieldError[]): StatusError {
  const list = errors.map(formatFieldError);
  const summary = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  return failure(422, 'Invalid', `${type.kind} "${name}" is invalid: ${summary}`, {
    name,
    ...(type.group ? { group: type.group } : {}),
    kind: type.kind,
    causes: errors.map((e) => ({ reason: FIELD_ERROR_TYPES[e.type].reason, message: fieldErrorBody(e), field: e.field })),
  });
}

/** Collects field errors while validating; `fail()` throws them as one 422. */
export class FieldErrors {
  readonly list: FieldError[] = [];

  required(field: string, detail?: string): void {
    this.list.push({ type: 'Required', field, ...(detail ? { detail } : {}) });
  }

  invalid(field: string, value: unknown, detail: string): void {
    this.list.push({ type: 'Invalid', field, value, detail });
  }

  notSupported(field: string, value: unknown, supported: readonly string[]): void {
    this.list.push({ type: 'NotSupported', field, value, detail: `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` });
  }

  duplicate(field: string, value: unknown): void {
    this.list.push({ type: 'Duplicate', field, value });
  }

  forbidden(field: string, detail: string): void {
    this.list.push({ type: 'Forbidden', field, detail });
  }

  tooMany(field: string, value: number, max: number): void {
    this.list.push({ type: 'TooMany', field, value, detail: `must have at most ${max} items` });
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  throwIfAny(type: ResourceType, name: string): void {
    if (this.list.length) throw invalid(type, name, this.list);
  }
}
