// PolicySpec ↔ GoBGP policies and statements, and global policy assignments.
//
// GoBGP keeps statements in one global namespace and a policy as an ordered list of
// them. Our statement `s` of policy `p` becomes the GoBGP statement `p.s.g<N>`, or the
// pair `p.s.g<N>.ipv4` / `.ipv6` when it matches a (dual-stack) prefix set, each half
// referencing that family's GoBGP prefix set (see defined-sets.ts). N is a generation:
// to change a policy in place, the next generation's statements are appended and then
// the old ones removed, so the policy never runs with neither (a window in which an
// import policy would accept what it should reject).
import { gobgp } from '@kr/proto/gobgp';
import type { PolicyAssignmentSpec, PolicySpec, PolicyStatementSpec } from '../../model/bgp-types.js';
import { canonicalCommunities } from './communities.js';
import { familyPrefixSetName } from './defined-sets.js';

/** GoBGP's name for the global RIB in policy assignments. */
export const GLOBAL_ASSIGNMENT = 'global';

const MATCH: Record<'any' | 'invert', gobgp.MatchSet_Type> = { any: gobgp.MatchSet_Type.ANY, invert: gobgp.MatchSet_Type.INVERT };
const ROUTE_TYPE: Record<'internal' | 'external' | 'local', gobgp.Conditions_RouteType> = {
  internal: gobgp.Conditions_RouteType.ROUTE_TYPE_INTERNAL,
  external: gobgp.Conditions_RouteType.ROUTE_TYPE_EXTERNAL,
  local: gobgp.Conditions_RouteType.ROUTE_TYPE_LOCAL,
};
const RESULT: Record<PolicyStatementSpec['actions']['result'], gobgp.RouteAction> = {
  accept: gobgp.RouteAction.ACCEPT,
  reject: gobgp.RouteAction.REJECT,
  none: gobgp.RouteAction.NONE,
};

function statementName(policy: string, statement: string, generation: number, family?: 'ipv4' | 'ipv6'): string {
  return `${policy}.${statement}.g${generation}${family ? `.${family}` : ''}`;
}

function parseStatementName(policy: string, name: string): { statement: string; generation: number; family?: 'ipv4' | 'ipv6' } | undefined {
  if (!name.startsWith(`${policy}.`)) return undefined;
  const match = /^(.+)\.g(\d+)(?:\.(ipv4|ipv6))?$/.exec(name.slice(policy.length + 1));
  if (!match) return undefined;
  return { statement: match[1]!, generation: Number(match[2]), ...(match[3] ? { family: match[3] as 'ipv4' | 'ipv6' } : {}) };
}

function toApiStatement(name: string, spec: PolicyStatementSpec, prefixSetName?: string): gobgp.Statement {
  const c = spec.conditions;
  const a = spec.actions;
  const communities = canonicalCommunities(a.addCommunities);
  return gobgp.Statement.fromPartial({
    name,
    conditions: {
      ...(c.prefixSet && prefixSetName ? { prefixSet: { type: MATCH[c.prefixSet.match], name: prefixSetName } } : {}),
      ...(c.neighborSet ? { neighborSet: { type: MATCH[c.neighborSet.match], name: c.neighborSet.name } } : {}),
      ...(c.routeType ? { routeType: ROUTE_TYPE[c.routeType] } : {}),
    },
    actions: {
      routeAction: RESULT[a.result],
      ...(communities.length > 0 ? { community: { type: gobgp.CommunityAction_Type.ADD, communities } } : {}),
      ...(a.asPathPrepend ? { asPrepend: { asn: a.asPathPrepend.asn, repeat: a.asPathPrepend.repeat, useLeftMost: false } } : {}),
      ...(a.nextHop === 'self' ? { nexthop: { address: '', self: true, unchanged: false } } : {}),
    },
  });
}

/** The GoBGP policy for `spec`, its statements named for `generation`. */
export function toApiPolicy(spec: PolicySpec, generation: number): gobgp.Policy {
  const statements = spec.statements.flatMap((s) => {
    const set = s.conditions.prefixSet;
    if (!set) return [toApiStatement(statementName(spec.name, s.name, generation), s)];
    return (['ipv4', 'ipv6'] as const).map((family) =>
      toApiStatement(statementName(spec.name, s.name, generation, family), s, familyPrefixSetName(set.name, family)),
    );
  });
  return { name: spec.name, statements };
}

/** The highest statement generation in a GoBGP policy (0 when none is ours). */
export function policyGeneration(policy: gobgp.Policy): number {
  let generation = 0;
  for (const s of policy.statements) generation = Math.max(generation, parseStatementName(policy.name, s.name)?.generation ?? 0);
  return generation;
}

const MATCH_BACK = new Map<gobgp.MatchSet_Type, 'any' | 'invert'>([
  [gobgp.MatchSet_Type.ANY, 'any'],
  [gobgp.MatchSet_Type.INVERT, 'invert'],
]);
const ROUTE_TYPE_BACK = new Map<gobgp.Conditions_RouteType, 'internal' | 'external' | 'local'>([
  [gobgp.Conditions_RouteType.ROUTE_TYPE_INTERNAL, 'internal'],
  [gobgp.Conditions_RouteType.ROUTE_TYPE_EXTERNAL, 'external'],
  [gobgp.Conditions_RouteType.ROUTE_TYPE_LOCAL, 'local'],
]);

function fromApiStatement(name: string, s: gobgp.Statement, prefixSetName?: string): PolicyStatementSpec {
  const c = s.conditions;
  const a = s.actions;
  const matchSet = (m: gobgp.MatchSet | undefined, setName?: string) =>
    m?.name ? { name: setName ?? m.name, match: MATCH_BACK.get(m.type) ?? 'any' } : undefined;
  const prefixSet = matchSet(c?.prefixSet, prefixSetName);
  const neighborSet = matchSet(c?.neighborSet);
  const routeType = c && ROUTE_TYPE_BACK.get(c.routeType);
  const result = a?.routeAction === gobgp.RouteAction.ACCEPT ? 'accept' : a?.routeAction === gobgp.RouteAction.REJECT ? 'reject' : 'none';
  const addCommunities = a?.community?.type === gobgp.CommunityAction_Type.ADD ? a.community.communities : [];
  return {
    name,
    conditions: { ...(prefixSet ? { prefixSet } : {}), ...(neighborSet ? { neighborSet } : {}), ...(routeType ? { routeType } : {}) },
    actions: {
      result,
      ...(addCommunities.length > 0 ? { addCommunities } : {}),
      ...(a?.asPrepend && a.asPrepend.repeat > 0 ? { asPathPrepend: { asn: a.asPrepend.asn, repeat: a.asPrepend.repeat } } : {}),
      ...(a?.nexthop?.self ? { nextHop: 'self' as const } : {}),
    },
  };
}

/**
 * Reads a GoBGP policy back as a spec. The per-family halves of a statement fold into
 * one; a half without its twin (or a statement not named by us) keeps a name that no
 * spec has, so comparing it with the desired policy says "replace".
 */
export function fromApiPolicy(policy: gobgp.Policy): PolicySpec {
  const statements: PolicyStatementSpec[] = [];
  const list = policy.statements;
  for (let i = 0; i < list.length; i++) {
    const s = list[i]!;
    const parsed = parseStatementName(policy.name, s.name);
    if (!parsed) {
      statements.push(fromApiStatement(s.name, s));
      continue;
    }
    if (!parsed.family) {
      statements.push(fromApiStatement(parsed.statement, s));
      continue;
    }
    const setName = s.conditions?.prefixSet?.name.replace(/-(ipv4|ipv6)$/, '');
    const twin = list[i + 1];
    const twinParsed = twin && parseStatementName(policy.name, twin.name);
    const paired =
      parsed.family === 'ipv4' &&
      twinParsed?.family === 'ipv6' &&
      twinParsed.statement === parsed.statement &&
      twinParsed.generation === parsed.generation &&
      twin!.conditions?.prefixSet?.name === familyPrefixSetName(setName ?? '', 'ipv6');
    if (paired) {
      statements.push(fromApiStatement(parsed.statement, s, setName));
      i++;
    } else {
      statements.push(fromApiStatement(`${parsed.statement} (${parsed.family} half only)`, s, setName));
    }
  }
  return { name: policy.name, statements };
}

function statementKey(s: PolicyStatementSpec): string {
  const c = s.conditions;
  const a = s.actions;
  return JSON.stringify([
    s.name,
    c.prefixSet ? [c.prefixSet.name, c.prefixSet.match] : null,
    c.neighborSet ? [c.neighborSet.name, c.neighborSet.match] : null,
    c.routeType ?? null,
    a.result,
    canonicalCommunities(a.addCommunities),
    a.asPathPrepend && a.asPathPrepend.repeat > 0 ? [a.asPathPrepend.asn, a.asPathPrepend.repeat] : null,
    a.nextHop ?? null,
  ]);
}

/** Same name and the same statements in the same order (order decides the outcome). */
export function policyEquals(a: PolicySpec, b: PolicySpec): boolean {
  return a.name === b.name && a.statements.length === b.statements.length && a.statements.every((s, i) => statementKey(s) === statementKey(b.statements[i]!));
}

const DIRECTION: Record<PolicyAssignmentSpec['direction'], gobgp.PolicyDirection> = {
  import: gobgp.PolicyDirection.IMPORT,
  export: gobgp.PolicyDirection.EXPORT,
};

export function apiPolicyDirection(direction: PolicyAssignmentSpec['direction']): gobgp.PolicyDirection {
  return DIRECTION[direction];
}

export function toApiAssignment(spec: PolicyAssignmentSpec): gobgp.PolicyAssignment {
  return gobgp.PolicyAssignment.fromPartial({
    name: GLOBAL_ASSIGNMENT,
    direction: DIRECTION[spec.direction],
    policies: spec.policies.map((name) => ({ name })),
    defaultAction: spec.defaultAction === 'accept' ? gobgp.RouteAction.ACCEPT : gobgp.RouteAction.REJECT,
  });
}

/**
 * GoBGP starts with the global defaults at ACCEPT. Its DeletePolicyAssignment leaves
 * the default unset (NONE), and a route no policy decides on is then rejected
 * (RoutingPolicy.ApplyPolicy), so NONE reads back as 'reject': what it does.
 */
export function fromApiAssignment(assignment: gobgp.PolicyAssignment, direction: PolicyAssignmentSpec['direction']): PolicyAssignmentSpec {
  return {
    direction,
    policies: assignment.policies.map((p) => p.name),
    defaultAction: assignment.defaultAction === gobgp.RouteAction.ACCEPT ? 'accept' : 'reject',
  };
}

export function assignmentEquals(a: PolicyAssignmentSpec, b: PolicyAssignmentSpec): boolean {
  return a.direction === b.direction && a.defaultAction === b.defaultAction && a.policies.join('\n') === b.policies.join('\n');
}
