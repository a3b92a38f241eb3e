// PolicySpec ↔ GoBGP policies: per-family statement halves for prefix-set matches,
// generations for in-place replacement, and assignments.
//
// Test IP plan: no addresses; set names are kube-router's.
import { gobgp } from '@kr/proto/gobgp';
import { describe, expect, it } from 'vitest';
import type { PolicySpec, PolicyStatementSpec } from '../../model/bgp-types.js';
import { assignmentEquals, fromApiAssignment, fromApiPolicy, policyEquals, policyGeneration, toApiAssignment, toApiPolicy } from './policies.js';

const reject: PolicyStatementSpec = {
  name: 'customimportreject',
  conditions: { prefixSet: { name: 'customimportreject', match: 'any' }, neighborSet: { name: 'allpeerset', match: 'any' } },
  actions: { result: 'reject' },
};
const exportPods: PolicyStatementSpec = {
  name: 'pods',
  conditions: { prefixSet: { name: 'podcidrdefinedset', match: 'invert' }, routeType: 'local' },
  actions: { result: 'accept', addCommunities: ['no-export', '64512:100'], asPathPrepend: { asn: 64512, repeat: 2 }, nextHop: 'self' },
};
const noPrefix: PolicyStatementSpec = { name: 'ibgp', conditions: { neighborSet: { name: 'iBGPpeerset', match: 'invert' }, routeType: 'internal' }, actions: { result: 'none' } };

describe('toApiPolicy / fromApiPolicy', () => {
  it.each([
    { name: 'a prefix-set match: one statement per family', spec: { name: 'imp', statements: [reject] }, statements: ['imp.customimportreject.g3.ipv4', 'imp.customimportreject.g3.ipv6'] },
    { name: 'no prefix set: one statement', spec: { name: 'exp', statements: [noPrefix] }, statements: ['exp.ibgp.g3'] },
    {
      name: 'mixed, order kept',
      spec: { name: 'exp', statements: [exportPods, noPrefix] },
      statements: ['exp.pods.g3.ipv4', 'exp.pods.g3.ipv6', 'exp.ibgp.g3'],
    },
    { name: 'no statements', spec: { name: 'exp', statements: [] }, statements: [] },
  ])('$name', ({ spec, statements }) => {
    const api = toApiPolicy(spec, 3);
    expect(api.statements.map((s) => s.name)).toEqual(statements);
    expect(policyGeneration(api)).toBe(statements.length ? 3 : 0);
    expect(policyEquals(spec, fromApiPolicy(api))).toBe(true);
  });

  it('each half references its family of the prefix set; actions are GoBGP’s', () => {
    const [v4, v6] = toApiPolicy({ name: 'exp', statements: [exportPods] }, 1).statements;
    expect([v4!.conditions!.prefixSet, v6!.conditions!.prefixSet]).toEqual([
      { type: gobgp.MatchSet_Type.INVERT, name: 'podcidrdefinedset-ipv4' },
      { type: gobgp.MatchSet_Type.INVERT, name: 'podcidrdefinedset-ipv6' },
    ]);
    expect(v4!.conditions!.routeType).toBe(gobgp.Conditions_RouteType.ROUTE_TYPE_LOCAL);
    expect(v4!.actions).toMatchObject({
      routeAction: gobgp.RouteAction.ACCEPT,
      community: { type: gobgp.CommunityAction_Type.ADD, communities: ['64512:100', '65535:65281'] },
      asPrepend: { asn: 64512, repeat: 2 },
      nexthop: { self: true },
    });
  });

  it('a half without its twin does not compare equal (so it gets replaced)', () => {
    const api = toApiPolicy({ name: 'imp', statements: [reject] }, 1);
    const broken = { ...api, statements: api.statements.slice(0, 1) };
    expect(fromApiPolicy(broken).statements.map((s) => s.name)).toEqual(['customimportreject (ipv4 half only)']);
    expect(policyEquals({ name: 'imp', statements: [reject] }, fromApiPolicy(broken))).toBe(false);
  });

  it('statements of two generations (an interrupted replace) do not compare equal', () => {
    const spec: PolicySpec = { name: 'imp', statements: [reject] };
    const mixed = { name: 'imp', statements: [...toApiPolicy(spec, 1).statements, ...toApiPolicy(spec, 2).statements] };
    expect(policyGeneration(mixed)).toBe(2);
    expect(policyEquals(spec, fromApiPolicy(mixed))).toBe(false);
  });
});

describe('policyEquals', () => {
  const spec: PolicySpec = { name: 'exp', statements: [exportPods, noPrefix] };
  it.each([
    { name: 'same, communities respelled', other: { ...spec, statements: [{ ...exportPods, actions: { ...exportPods.actions, addCommunities: ['65535:65281', '64512:100'] } }, noPrefix] }, equal: true },
    { name: 'statements reordered', other: { ...spec, statements: [noPrefix, exportPods] }, equal: false },
    { name: 'match type changed', other: { ...spec, statements: [{ ...exportPods, conditions: { ...exportPods.conditions, prefixSet: { name: 'podcidrdefinedset', match: 'any' as const } } }, noPrefix] }, equal: false },
    { name: 'next-hop-self dropped', other: { ...spec, statements: [{ ...exportPods, actions: { ...exportPods.actions, nextHop: undefined } }, noPrefix] }, equal: false },
  ])('$name → $equal', ({ other, equal }) => {
    expect(policyEquals(spec, other)).toBe(equal);
  });
});

describe('assignments', () => {
  it.each([
    { spec: { direction: 'import' as const, policies: ['kube_router_import'], defaultAction: 'accept' as const } },
    { spec: { direction: 'export' as const, policies: ['a', 'b'], defaultAction: 'reject' as const } },
  ])('$spec.direction round-trips', ({ spec }) => {
    const api = toApiAssignment(spec);
    expect(api.name).toBe('global');
    expect(assignmentEquals(spec, fromApiAssignment(api, spec.direction))).toBe(true);
  });
  it('an unset default (after GoBGP’s DeletePolicyAssignment) reads as reject, which is what it does', () => {
    const api = gobgp.PolicyAssignment.fromPartial({ name: 'global', direction: gobgp.PolicyDirection.IMPORT, defaultAction: gobgp.RouteAction.NONE });
    expect(fromApiAssignment(api, 'import')).toEqual({ direction: 'import', policies: [], defaultAction: 'reject' });
  });
});
