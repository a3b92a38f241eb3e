import { ObjectInputError } from '@kr/errors';
import type { V1LabelSelector, V1LabelSelectorRequirement } from '@kubernetes/client-node';

export type Labels = Readonly<Record<string, string>>;

/** A compiled selector: does an object with these labels match? */
export type LabelMatcher = (labels: Labels | undefined) => boolean;

/** Names the selector in errors: which object and which field it came from. */
export interface SelectorContext {
  readonly kind: string;
  readonly object: string;
  /** e.g. `spec.podSelector` or `spec.ingress[0].from[1].namespaceSelector`. */
  readonly field: string;
}

export interface CompileOptions {
  readonly context?: SelectorContext;
}

/**
 * What an absent (null/undefined) selector means differs by field, so the caller must
 * say: metav1.LabelSelectorAsSelector turns nil into "matches nothing", while e.g. a
 * NetworkPolicy peer without namespaceSelector means "the policy's own namespace" and a
 * Service without selector selects no pods. An empty selector `{}` always matches
 * everything.
 */
export type WhenAbsent = 'nothing' | 'everything';

export const MATCH_EVERYTHING: LabelMatcher = () => true;
export const MATCH_NOTHING: LabelMatcher = () => false;

/**
 * Compiles a LabelSelector with Kubernetes' semantics: matchLabels and matchExpressions
 * are ANDed; In needs the key with one of the values; NotIn matches objects without the
 * key; Exists / DoesNotExist test the key only. Invalid selectors (In/NotIn without
 * values, Exists with values, unknown operators, malformed keys or values) throw an
 * ObjectInputError naming the selector and the offending entry.
 */
export function compileLabelSelector(selector: V1LabelSelector, options?: CompileOptions): LabelMatcher;
export function compileLabelSelector(
  selector: V1LabelSelector | null | undefined,
  options: CompileOptions & { readonly whenAbsent: WhenAbsent },
): LabelMatcher;
export function compileLabelSelector(
  selector: V1LabelSelector | null | undefined,
  options: CompileOptions & { readonly whenAbsent?: WhenAbsent } = {},
): LabelMatcher {
  if (selector === null || selector === undefined) {
    return options.whenAbsent === 'everything' ? MATCH_EVERYTHING : MATCH_NOTHING;
  }
  const tests = requirementsOf(selector, options.context).map(compileRequirement);
  if (tests.length === 0) return MATCH_EVERYTHING;
  return (labels) => {
    const l = labels ?? {};
    for (const test of tests) if (!test(l)) return false;
    return true;
  };
}

/** One-off match; compile once instead when matching many objects. */
export function matchesLabelSelector(selector: V1LabelSelector, labels: Labels | undefined): boolean {
  return compileLabelSelector(selector)(labels);
}

type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

interface Requirement {
  readonly key: string;
  readonly operator: Operator;
  readonly values: readonly string[];
}

/** Validates and normalises a selector to requirements (matchLabels become In [value]). */
function requirementsOf(selector: V1LabelSelector, context: SelectorContext | undefined): Requirement[] {
  const fail = (field: string, reason: string): never => {
    const ctx = context ?? { kind: 'LabelSelector', object: describeSelector(selector), field: '' };
    const path = ctx.field ? `${ctx.field}.${field}` : field;
    throw new ObjectInputError(ctx.kind, ctx.object, path, reason);
  };
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    const field = `matchLabels[${JSON.stringify(key)}]`;
    checkKey(key, (reason) => fail(field, reason));
    if (typeof value !== 'string') fail(field, 'value must be a string');
    checkValue(value, (reason) => fail(field, reason));
    requirements.push({ key, operator: 'In', values: [value] });
  }
  (selector.matchExpressions ?? []).forEach((expr: V1LabelSelectorRequirement, index) => {
    const field = `matchExpressions[${index}]`;
    checkKey(expr.key, (reason) => fail(field, reason));
    const values = expr.values ?? [];
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) fail(field, `operator ${expr.operator} needs at least one value`);
        values.forEach((v) => checkValue(v, (reason) => fail(field, reason)));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) fail(field, `operator ${expr.operator} takes no values`);
        break;
      default:
        fail(field, `unknown operator ${JSON.stringify(expr.operator)} (expected In, NotIn, Exists or DoesNotExist)`);
    }
    requirements.push({ key: expr.key, operator: expr.operator as Operator, values });
  });
  return requirements;
}

function compileRequirement(req: Requirement): (labels: Labels) => boolean {
  const { key } = req;
  const has = (labels: Labels): boolean => Object.hasOwn(labels, key);
  switch (req.operator) {
    case 'In': {
      if (req.values.length === 1) {
        const only = req.values[0];
        return (labels) => has(labels) && labels[key] === only;
      }
      const set = new Set(req.values);
      return (labels) => has(labels) && set.has(labels[key] as string);
    }
    case 'NotIn': {
      const set = new Set(req.values);
      return (labels) => !has(labels) || !set.has(labels[key] as string);
    }
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return (labels) => !has(labels);
  }
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Label keys are qualified names: optional `<dns-subdomain>/` prefix, then a ≤63 char name. */
function checkKey(key: unknown, fail: (reason: string) => never): void {
  if (typeof key !== 'string' || key === '') fail('key must be a non-empty string');
  const k = key as string;
  const slash = k.indexOf('/');
  const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    fail(`key ${JSON.stringify(k)}: prefix must be a DNS subdomain`);
  }
  if (name.length > 63 || !NAME.test(name)) {
    fail(`key ${JSON.stringify(k)}: name must be ≤63 alphanumeric characters, '-', '_' or '.', starting and ending alphanumeric`);
  }
}

function checkValue(value: string, fail: (reason: string) => never): void {
  if (value !== '' && (value.length > 63 || !NAME.test(value))) {
    fail(`value ${JSON.stringify(value)}: must be empty or ≤63 alphanumeric characters, '-', '_' or '.', starting and ending alphanumeric`);
  }
}

/**
 * The selector in Kubernetes' string form (`a=b,c in (x,y),!d`), requirements sorted by
 * key as labels.Selector.String() does. Usable as a labelSelector= query parameter.
 * Malformed input is rendered as-is (this is also how errors name a selector).
 */
export function formatLabelSelector(selector: V1LabelSelector): string {
  const parts: { key: string; text: string }[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) parts.push({ key, text: `${key}=${value}` });
  for (const expr of selector.matchExpressions ?? []) {
    const values = [...(expr.values ?? [])].sort().join(',');
    const text =
      expr.operator === 'In'
        ? `${expr.key} in (${values})`
        : expr.operator === 'NotIn'
          ? `${expr.key} notin (${values})`
          : expr.operator === 'Exists'
            ? expr.key
            : expr.operator === 'DoesNotExist'
              ? `!${expr.key}`
              : `${expr.key} ${expr.operator} (${values})`;
    parts.push({ key: expr.key, text });
  }
  return parts
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((p) => p.text)
    .join(',');
}

function describeSelector(selector: V1LabelSelector): string {
  const text = formatLabelSelector(selector);
  return text === '' ? '{}' : text;
}

/**
 * Parses the string form used in `labelSelector=` query parameters and kubectl -l:
 * `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, comma-separated (AND).
 * `a!=b` matches objects without `a`, as NotIn does. The empty string selects everything.
 */
export function parseLabelSelector(input: string, context?: SelectorContext): V1LabelSelector {
  const fail = (reason: string): never => {
    throw new ObjectInputError(context?.kind ?? 'LabelSelector', context?.object ?? JSON.stringify(input), context?.field ?? 'labelSelector', reason);
  };
  const matchExpressions: V1LabelSelectorRequirement[] = [];
  for (const part of splitTopLevel(input, fail)) {
    const text = part.trim();
    if (text === '') {
      if (input.trim() === '') continue;
      fail('empty requirement');
    }
    let m: RegExpMatchArray | null;
    if ((m = /^!\s*([^\s=!(),]+)$/.exec(text))) {
      matchExpressions.push({ key: m[1] as string, operator: 'DoesNotExist' });
    } else if ((m = /^([^\s=!(),]+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(text))) {
      const values = (m[3] as string).split(',').map((v) => v.trim());
      if (values.length === 1 && values[0] === '') fail(`${text}: '${m[2]}' needs at least one value`);
      matchExpressions.push({ key: m[1] as string, operator: m[2] === 'in' ? 'In' : 'NotIn', values });
    } else if ((m = /^([^\s=!(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/.exec(text))) {
      matchExpressions.push({ key: m[1] as string, operator: m[2] === '!=' ? 'NotIn' : 'In', values: [m[3] as string] });
    } else if ((m = /^([^\s=!(),]+)$/.exec(text))) {
      matchExpressions.push({ key: m[1] as string, operator: 'Exists' });
    } else {
      fail(`cannot parse requirement ${JSON.stringify(text)}`);
    }
  }
  const selector: V1LabelSelector = matchExpressions.length ? { matchExpressions } : {};
  // Validate keys and values with the same rules as the object form.
  compileLabelSelector(selector, context ? { context } : {});
  return selector;
}

function splitTopLevel(input: string, fail: (reason: string) => never): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c === '(') depth += 1;
    else if (c === ')') {
      depth -= 1;
      if (depth < 0) fail('unbalanced parentheses');
    } else if (c === ',' && depth === 0) {
      parts.push(input.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) fail('unbalanced parentheses');
  parts.push(input.slice(start));
  return parts;
}
