// How a typed value travels as bytes on the bus. Every payload is a protobuf message of
// @kr/proto, so a codec is a thin wrapper over the generated encode/decode.

export interface Codec<T> {
  encode(value: T): Uint8Array;
  /** Throws on bytes that are not a valid message. */
  decode(bytes: Uint8Array): T;
}

/** The subset of a ts-proto message's functions a codec needs. */
export interface ProtoMessageFns<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

export function protoCodec<T>(fns: ProtoMessageFns<T>): Codec<T> {
  return {
    encode: (value) => fns.encode(value).finish(),
    decode: (bytes) => fns.decode(bytes),
  };
}
