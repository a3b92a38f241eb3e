import { AddressError, ObjectInputError, errorMessage } from '@kr/errors';
import { parseCIDR, parseIP, splitList, type Cidr, type IPAddress, type ParseCidrOptions } from '@kr/ip';
import { describeObject, type KubeObject } from './resources.js';

/** The outcome of reading user input from an object: a value, or an error naming the object. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ObjectInputError };

/** Turns an annotation's text into a value; throws (any Error) with the reason when it cannot. */
export type ValueParser<T> = (raw: string) => T;

export function annotationField(key: string): string {
  return `metadata.annotations[${JSON.stringify(key)}]`;
}

/** An ObjectInputError about a field of an object (`Node node-1: <field>: <reason>`). */
export function objectInputError(obj: KubeObject, field: string, reason: string, cause?: unknown): ObjectInputError {
  const { kind, name } = describeObject(obj);
  return new ObjectInputError(kind, name, field, reason, cause === undefined ? undefined : { cause });
}

/**
 * Reads and parses an annotation. Undefined when the annotation is absent; otherwise
 * the value, or an ObjectInputError naming the object, the annotation and the reason
 * (reported once per object by the caller, never fatal for the rest of the state).
 */
export function annotation<T>(obj: KubeObject, key: string, parse: ValueParser<T>): Parsed<T> | undefined {
  const raw = obj.metadata?.annotations?.[key];
  if (raw === undefined) return undefined;
  try {
    return { ok: true, value: parse(raw) };
  } catch (err) {
    return { ok: false, error: objectInputError(obj, annotationField(key), errorMessage(err), err) };
  }
}

/** Like annotation(), with a value for the absent case. */
export function annotationOr<T>(obj: KubeObject, key: string, parse: ValueParser<T>, fallback: T): Parsed<T> {
  return annotation(obj, key, parse) ?? { ok: true, value: fallback };
}

/**
 * A comma-separated annotation parsed item by item: the good items, and one error per
 * bad item (naming its position), so one typo does not discard the rest of the list.
 * Undefined when the annotation is absent.
 */
export function annotationList<T>(
  obj: KubeObject,
  key: string,
  parseItem: ValueParser<T>,
): { values: T[]; errors: ObjectInputError[] } | undefined {
  const raw = obj.metadata?.annotations?.[key];
  if (raw === undefined) return undefined;
  const values: T[] = [];
  const errors: ObjectInputError[] = [];
  splitList(raw).forEach((item, index) => {
    try {
      values.push(parseItem(item));
    } catch (err) {
      errors.push(objectInputError(obj, annotationField(key), `item ${index + 1} ${JSON.stringify(item)}: ${reasonOf(err)}`, err));
    }
  });
  return { values, errors };
}

/** The reason alone (an AddressError's message repeats the input, which list errors already quote). */
function reasonOf(err: unknown): string {
  return err instanceof AddressError ? err.reason : errorMessage(err);
}

/** Parser failures: the message is the reason shown to the user. */
export class ParseFailure extends Error {}

/** A decimal integer in [min, max] (e.g. an ASN: 1..4294967295, a port: 1..65535). */
export function intInRange(min: number, max: number): ValueParser<number> {
  return (raw) => {
    const text = raw.trim();
    if (!/^[+-]?\d+$/.test(text)) throw new ParseFailure(`${JSON.stringify(raw)} is not an integer`);
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new ParseFailure(`${text} is out of range ${min}..${max}`);
    }
    return value;
  };
}

export const asn: ValueParser<number> = intInRange(1, 4294967295);
export const port: ValueParser<number> = intInRange(1, 65535);

/** Booleans as Go's strconv.ParseBool reads them (kube-router parses its annotations so). */
export const bool: ValueParser<boolean> = (raw) => {
  const text = raw.trim();
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw new ParseFailure(`${JSON.stringify(raw)} is not a boolean (true/false)`);
};

export const nonEmptyString: ValueParser<string> = (raw) => {
  const text = raw.trim();
  if (text === '') throw new ParseFailure('empty value');
  return text;
};

export function oneOf<const V extends string>(values: readonly V[]): ValueParser<V> {
  return (raw) => {
    const text = raw.trim();
    if ((values as readonly string[]).includes(text)) return text as V;
    throw new ParseFailure(`${JSON.stringify(raw)} is not one of ${values.join(', ')}`);
  };
}

/** Standard base64 (with padding), decoded as UTF-8; whitespace inside is ignored. */
export const base64String: ValueParser<string> = (raw) => {
  const compact = raw.replace(/\s+/g, '');
  if (compact === '' || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
    throw new ParseFailure('not valid base64');
  }
  return Buffer.from(compact, 'base64').toString('utf8');
};

export const ip: ValueParser<IPAddress> = (raw) => parseIP(raw.trim());

export function cidr(options: ParseCidrOptions = {}): ValueParser<Cidr> {
  return (raw) => parseCIDR(raw.trim(), options);
}

/** A whole comma list with one parser per item; fails on the first bad item, naming it. */
export function list<T>(parseItem: ValueParser<T>): ValueParser<T[]> {
  return (raw) =>
    splitList(raw).map((item, index) => {
      try {
        return parseItem(item);
      } catch (err) {
        throw new ParseFailure(`item ${index + 1} ${JSON.stringify(item)}: ${reasonOf(err)}`, { cause: err });
      }
    });
}

export const ipList: ValueParser<IPAddress[]> = list(ip);

export function cidrList(options: ParseCidrOptions = {}): ValueParser<Cidr[]> {
  return list(cidr(options));
}
