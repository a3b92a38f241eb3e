import { KrError } from '@kr/errors';
import { descriptor, FILE_DESCRIPTOR_SET_BASE64 } from '@kr/proto';

/** A .proto file as reflection serves it. */
export interface DescribedFile {
  readonly name: string;
  readonly dependencies: readonly string[];
  /** The serialized FileDescriptorProto exactly as protoc wrote it. */
  readonly bytes: Buffer;
}

/**
 * The files of a google.protobuf.FileDescriptorSet indexed by file name, by fully
 * qualified symbol and by extension, for server reflection.
 *
 * Files are served as protoc's own bytes, sliced out of the set, not re-encoded from the
 * decoded message: ts-proto's descriptor code cannot tell an absent proto2 field from a
 * zero one, so a re-encode drops `oneof_index = 0` and every field leaves its oneof
 * (protoc then rejects the file: "Oneof must have at least one field"). Decoding is
 * only used to read names.
 */
export class DescriptorIndex {
  private readonly files = new Map<string, DescribedFile>();
  private readonly symbols = new Map<string, string>();
  private readonly messages = new Set<string>();
  /** extendee → field number → file */
  private readonly extensions = new Map<string, Map<number, string>>();

  constructor(setBytes: Uint8Array) {
    for (const bytes of splitFileDescriptorSet(setBytes)) {
      const file = descriptor.FileDescriptorProto.decode(bytes);
      const name = file.name ?? '';
      if (this.files.has(name)) throw new KrError(`descriptor set: file ${name} appears twice`);
      this.files.set(name, { name, dependencies: file.dependency, bytes });
      this.indexFile(file, name);
    }
    for (const file of this.files.values()) {
      for (const dep of file.dependencies) {
        // The set must be built with imports (protoc --include_imports): a client
        // cannot use a file whose imports it cannot get.
        if (!this.files.has(dep)) throw new KrError(`descriptor set: ${file.name} imports ${dep}, which is not in the set`);
      }
    }
  }

  get fileNames(): string[] {
    return [...this.files.keys()];
  }

  file(name: string): DescribedFile | undefined {
    return this.files.get(name);
  }

  /** The file declaring a service, method, message, field, oneof, enum, enum value or extension. */
  fileOfSymbol(symbol: string): string | undefined {
    return this.symbols.get(symbol.replace(/^\./, ''));
  }

  fileOfExtension(extendee: string, number: number): string | undefined {
    return this.extensions.get(extendee.replace(/^\./, ''))?.get(number);
  }

  /** Extension numbers known for a message type, or undefined when the type is unknown. */
  extensionNumbers(type: string): number[] | undefined {
    const name = type.replace(/^\./, '');
    if (!this.messages.has(name)) return undefined;
    return [...(this.extensions.get(name)?.keys() ?? [])].sort((a, b) => a - b);
  }

  /**
   * The named file, then its transitive imports that are not in `sent` (which is
   * updated), as grpc-go does: a client gets everything it needs to build the file
   * without asking again, and nothing twice on one stream. The named file itself is
   * always included because it was asked for.
   */
  withDependencies(name: string, sent: Set<string>): DescribedFile[] {
    const root = this.files.get(name);
    if (!root) return [];
    const out: DescribedFile[] = [root];
    sent.add(name);
    const queue = [...root.dependencies];
    while (queue.length > 0) {
      const dep = queue.shift()!;
      if (sent.has(dep)) continue;
      sent.add(dep);
      const file = this.files.get(dep)!;
      out.push(file);
      queue.push(...file.dependencies);
    }
    return out;
  }

  private indexFile(file: descriptor.FileDescriptorProto, fileName: string): void {
    const pkg = file.package ?? '';
    const add = (symbol: string): void => {
      if (!this.symbols.has(symbol)) this.symbols.set(symbol, fileName);
    };
    const addExtension = (field: descriptor.FieldDescriptorProto, scope: string): void => {
      add(qualify(scope, field.name ?? ''));
      const extendee = (field.extendee ?? '').replace(/^\./, '');
      const byNumber = this.extensions.get(extendee) ?? new Map<number, string>();
      this.extensions.set(extendee, byNumber);
      byNumber.set(field.number ?? 0, fileName);
    };
    // Enum values are scoped like C++ enumerators: siblings of their enum, not children.
    const addEnum = (e: descriptor.EnumDescriptorProto, scope: string): void => {
      add(qualify(scope, e.name ?? ''));
      for (const value of e.value) add(qualify(scope, value.name ?? ''));
    };
    const addMessage = (m: descriptor.DescriptorProto, scope: string): void => {
      const full = qualify(scope, m.name ?? '');
      add(full);
      this.messages.add(full);
      for (const field of m.field) add(qualify(full, field.name ?? ''));
      for (const oneof of m.oneofDecl) add(qualify(full, oneof.name ?? ''));
      for (const nested of m.nestedType) addMessage(nested, full);
      for (const e of m.enumType) addEnum(e, full);
      for (const x of m.extension) addExtension(x, full);
    };

    for (const m of file.messageType) addMessage(m, pkg);
    for (const e of file.enumType) addEnum(e, pkg);
    for (const x of file.extension) addExtension(x, pkg);
    for (const service of file.service) {
      const full = qualify(pkg, service.name ?? '');
      add(full);
      for (const method of service.method) add(qualify(full, method.name ?? ''));
    }
  }
}

let defaultIndex: DescriptorIndex | undefined;

/** The index of @kr/proto's descriptor set, decoded on first use (reflection is rare). */
export function defaultDescriptorIndex(): DescriptorIndex {
  defaultIndex ??= new DescriptorIndex(Buffer.from(FILE_DESCRIPTOR_SET_BASE64, 'base64'));
  return defaultIndex;
}

function qualify(scope: string, name: string): string {
  return scope === '' ? name : `${scope}.${name}`;
}

/**
 * The raw bytes of each `file` (field 1) of a serialized FileDescriptorSet. Returned as
 * Buffer views of the input, no copies.
 */
export function splitFileDescriptorSet(input: Uint8Array): Buffer[] {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const files: Buffer[] = [];
  let pos = 0;
  const fail = (why: string): never => {
    throw new KrError(`malformed FileDescriptorSet at byte ${pos}: ${why}`);
  };
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 50; shift += 7) {
      if (pos >= bytes.length) return fail('truncated varint');
      const b = bytes[pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
    return fail('varint too long');
  };
  const skip = (n: number): number => {
    if (pos + n > bytes.length) fail('truncated field');
    const start = pos;
    pos += n;
    return start;
  };
  while (pos < bytes.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    switch (tag & 7) {
      case 0:
        varint();
        break;
      case 1:
        skip(8);
        break;
      case 2: {
        const length = varint();
        const start = skip(length);
        if (field === 1) files.push(bytes.subarray(start, start + length));
        break;
      }
      case 5:
        skip(4);
        break;
      default:
        fail(`unsupported wire type ${tag & 7}`);
    }
  }
  return files;
}
