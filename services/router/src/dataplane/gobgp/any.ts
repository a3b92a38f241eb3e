// google.protobuf.Any packing for GoBGP's NLRIs, path attributes and capabilities. GoBGP
// matches on the full type URL "type.googleapis.com/apipb.<Message>".
import type { Any } from '@kr/proto/gobgp';

const TYPE_URL_PREFIX = 'type.googleapis.com/apipb.';

/** The part of what ts-proto generates for every message that packing needs. */
export interface MessageCodec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

export function packAny<T>(typeName: string, codec: MessageCodec<T>, message: T): Any {
  const bytes = codec.encode(message).finish();
  // The generated code types `bytes` fields as Buffer: wrap, do not copy.
  return { typeUrl: TYPE_URL_PREFIX + typeName, value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/** The GoBGP message name of an Any ("NextHopAttribute"), or undefined if not apipb. */
export function anyTypeName(any: Any): string | undefined {
  return any.typeUrl.startsWith(TYPE_URL_PREFIX) ? any.typeUrl.slice(TYPE_URL_PREFIX.length) : undefined;
}

export function unpackAny<T>(any: Any, typeName: string, codec: MessageCodec<T>): T | undefined {
  return anyTypeName(any) === typeName ? codec.decode(any.value) : undefined;
}
