import { KrError } from '@kr/errors';
import { descriptor, FILE_DESCRIPTOR_SET_BASE64 } from '@kr/proto';
import { describe, expect, it } from 'vitest';
import { DescriptorIndex, defaultDescriptorIndex, splitFileDescriptorSet } from './descriptors.js';
import { fileDescriptorSetOf, hasProtoc, protocComplaint } from './testing/protoc.js';

// No addresses: descriptors only.

const ADMIN = 'kuberouter/admin/v1/admin.proto';
const NODESTATE = 'kuberouter/nodestate/v1/nodestate.proto';
const HEALTH = 'grpc/health/v1/health.proto';
const REFLECTION = 'grpc/reflection/v1/reflection.proto';
const DURATION = 'google/protobuf/duration.proto';
const TIMESTAMP = 'google/protobuf/timestamp.proto';

describe('the descriptor set of @kr/proto', () => {
  const index = defaultDescriptorIndex();

  it('has every file the decoder sees, with protoc bytes', () => {
    const decoded = descriptor.FileDescriptorSet.decode(Buffer.from(FILE_DESCRIPTOR_SET_BASE64, 'base64'));
    expect(index.fileNames).toEqual(decoded.file.map((f) => f.name));
    expect(index.fileNames).toEqual(expect.arrayContaining([ADMIN, NODESTATE, HEALTH, REFLECTION, DURATION, TIMESTAMP]));
    for (const name of index.fileNames) expect(descriptor.FileDescriptorProto.decode(index.file(name)!.bytes).name).toBe(name);
  });

  it.each([
    { symbol: 'kuberouter.admin.v1.Controller', file: ADMIN, kind: 'service' },
    { symbol: 'kuberouter.admin.v1.Controller.GetStatus', file: ADMIN, kind: 'method' },
    { symbol: 'kuberouter.admin.v1.GetStateResponse', file: ADMIN, kind: 'message' },
    { symbol: 'kuberouter.admin.v1.GetStateResponse.cni', file: ADMIN, kind: 'field' },
    { symbol: 'kuberouter.admin.v1.GetStateResponse.section', file: ADMIN, kind: 'oneof' },
    { symbol: 'kuberouter.nodestate.v1.Family', file: NODESTATE, kind: 'enum' },
    { symbol: 'kuberouter.nodestate.v1.FAMILY_IPV6', file: NODESTATE, kind: 'enum value (scoped beside its enum)' },
    { symbol: 'grpc.health.v1.HealthCheckResponse.ServingStatus', file: HEALTH, kind: 'nested enum' },
    { symbol: 'grpc.health.v1.HealthCheckResponse.SERVICE_UNKNOWN', file: HEALTH, kind: 'nested enum value' },
    { symbol: 'grpc.health.v1.Health.Watch', file: HEALTH, kind: 'method' },
    { symbol: 'grpc.reflection.v1.ServerReflection', file: REFLECTION, kind: 'service' },
    { symbol: '.google.protobuf.Timestamp', file: TIMESTAMP, kind: 'message, leading dot' },
    { symbol: 'kuberouter.admin.v1.Nope', file: undefined, kind: 'unknown' },
    { symbol: 'kuberouter.admin.v1', file: undefined, kind: 'a package is not a symbol' },
    { symbol: 'kuberouter.nodestate.v1.Family.FAMILY_IPV6', file: undefined, kind: 'enum value under its enum' },
    { symbol: '', file: undefined, kind: 'empty' },
  ])('$symbol ($kind) is in $file', ({ symbol, file }) => {
    expect(index.fileOfSymbol(symbol)).toBe(file);
  });

  it('gives a file with its transitive imports, each once per stream', () => {
    const sent = new Set<string>();
    const first = index.withDependencies(ADMIN, sent).map((f) => f.name);
    expect(first[0]).toBe(ADMIN);
    expect(new Set(first)).toEqual(new Set([ADMIN, NODESTATE, DURATION, TIMESTAMP]));
    expect(first).toHaveLength(4);
    // Asked again on the same stream: the file itself, nothing it already has.
    expect(index.withDependencies(NODESTATE, sent).map((f) => f.name)).toEqual([NODESTATE]);
    expect(index.withDependencies('missing.proto', sent)).toEqual([]);
  });

  it('serves files protoc can link (the oneof of GetStateResponse survives)', async (ctx) => {
    if (!(await hasProtoc())) ctx.skip('protoc is not installed');
    const files = index.withDependencies(ADMIN, new Set()).map((f) => f.bytes);
    expect(await protocComplaint(files, ADMIN)).toBe('');
    // Without its imports protoc refuses, which is why reflection sends them.
    expect(await protocComplaint(files.slice(0, 1), ADMIN)).toMatch(/not found|Import/i);
  });
});

describe('DescriptorIndex on a set with nesting and extensions', () => {
  // c.proto ← a.proto ← b.proto; a.proto nests messages and enums and declares extensions.
  const c = descriptor.FileDescriptorProto.fromPartial({
    name: 'c.proto',
    package: 'test.c',
    messageType: [{ name: 'Base', extensionRange: [{ start: 100, end: 200 }] }],
  });
  const a = descriptor.FileDescriptorProto.fromPartial({
    name: 'a.proto',
    package: 'test.a',
    dependency: ['c.proto'],
    messageType: [
      {
        name: 'Outer',
        nestedType: [{ name: 'Inner', nestedType: [{ name: 'Deepest' }], enumType: [{ name: 'Color', value: [{ name: 'RED', number: 0 }] }] }],
        extension: [{ name: 'outer_tag', number: 120, extendee: '.test.c.Base' }],
      },
    ],
    extension: [{ name: 'tag', number: 150, extendee: '.test.c.Base' }],
  });
  const b = descriptor.FileDescriptorProto.fromPartial({ name: 'b.proto', package: '', dependency: ['a.proto'], messageType: [{ name: 'Top' }] });
  const encode = (f: descriptor.FileDescriptorProto) => descriptor.FileDescriptorProto.encode(f).finish();
  const index = new DescriptorIndex(fileDescriptorSetOf([c, a, b].map(encode)));

  it.each([
    { symbol: 'test.a.Outer.Inner', file: 'a.proto' },
    { symbol: 'test.a.Outer.Inner.Deepest', file: 'a.proto' },
    { symbol: 'test.a.Outer.Inner.Color', file: 'a.proto' },
    { symbol: 'test.a.Outer.Inner.RED', file: 'a.proto' },
    { symbol: 'test.a.Outer.outer_tag', file: 'a.proto' },
    { symbol: 'test.a.tag', file: 'a.proto' },
    { symbol: 'Top', file: 'b.proto' },
    { symbol: 'test.c.Base', file: 'c.proto' },
    { symbol: 'test.a.Inner', file: undefined },
  ])('$symbol is in $file', ({ symbol, file }) => {
    expect(index.fileOfSymbol(symbol)).toBe(file);
  });

  it('finds extensions by extendee and number', () => {
    expect(index.fileOfExtension('test.c.Base', 150)).toBe('a.proto');
    expect(index.fileOfExtension('.test.c.Base', 120)).toBe('a.proto');
    expect(index.fileOfExtension('test.c.Base', 121)).toBeUndefined();
    expect(index.extensionNumbers('test.c.Base')).toEqual([120, 150]);
    expect(index.extensionNumbers('test.a.Outer')).toEqual([]);
    expect(index.extensionNumbers('test.c.Nope')).toBeUndefined();
  });

  it('orders a file before its imports, transitively', () => {
    expect(index.withDependencies('b.proto', new Set()).map((f) => f.name)).toEqual(['b.proto', 'a.proto', 'c.proto']);
  });

  it('refuses a set that lacks an import', () => {
    expect(() => new DescriptorIndex(fileDescriptorSetOf([a, b].map(encode)))).toThrow(/a.proto imports c.proto/);
  });

  it.each([
    { name: 'truncated length', bytes: [0x0a, 0x05, 0x01] },
    { name: 'truncated varint', bytes: [0x0a, 0x80] },
    { name: 'group wire type', bytes: [0x0b] },
  ])('refuses a malformed set ($name)', ({ bytes }) => {
    expect(() => splitFileDescriptorSet(Uint8Array.from(bytes))).toThrow(KrError);
  });

  it('slices files without copying and skips other fields', () => {
    const set = Buffer.concat([Buffer.from([0x10, 0x01]), fileDescriptorSetOf([encode(c)])]);
    const [only, ...rest] = splitFileDescriptorSet(set);
    expect(rest).toEqual([]);
    expect(only!.buffer).toBe(set.buffer);
    expect(descriptor.FileDescriptorProto.decode(only!).name).toBe('c.proto');
  });
});
