import { describe, expect, it } from 'vitest';
import { ObjectInputError } from '@kr/errors';
import type { V1LabelSelector } from '@kubernetes/client-node';
import { compileLabelSelector, formatLabelSelector, parseLabelSelector, type Labels } from './label-selector.js';

// No IP addresses in this file: label selectors are family-independent.

const web: Labels = { app: 'web', tier: 'frontend' };
const db: Labels = { app: 'db', tier: 'backend', critical: '' };
const bare: Labels = {};

describe('compileLabelSelector', () => {
  it.each<{ name: string; selector: V1LabelSelector; matches: Labels[]; misses: (Labels | undefined)[] }>([
    { name: 'empty selector matches everything', selector: {}, matches: [web, db, bare], misses: [] },
    { name: 'empty lists match everything', selector: { matchLabels: {}, matchExpressions: [] }, matches: [web, bare], misses: [] },
    { name: 'matchLabels', selector: { matchLabels: { app: 'web' } }, matches: [web], misses: [db, bare, undefined] },
    { name: 'matchLabels ANDed', selector: { matchLabels: { app: 'web', tier: 'backend' } }, matches: [], misses: [web, db] },
    { name: 'matchLabels with empty value', selector: { matchLabels: { critical: '' } }, matches: [db], misses: [web, bare] },
    {
      name: 'In',
      selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] },
      matches: [web],
      misses: [db, bare],
    },
    {
      name: 'NotIn matches objects without the key',
      selector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['db'] }] },
      matches: [web, bare],
      misses: [db],
    },
    {
      name: 'Exists (also for empty values)',
      selector: { matchExpressions: [{ key: 'critical', operator: 'Exists' }] },
      matches: [db],
      misses: [web, bare, undefined],
    },
    {
      name: 'DoesNotExist',
      selector: { matchExpressions: [{ key: 'critical', operator: 'DoesNotExist' }] },
      matches: [web, bare],
      misses: [db],
    },
    {
      name: 'matchLabels AND matchExpressions',
      selector: { matchLabels: { tier: 'backend' }, matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }] },
      matches: [db],
      misses: [web],
    },
    {
      name: 'inherited properties are not labels',
      selector: { matchExpressions: [{ key: 'constructor', operator: 'Exists' }] },
      matches: [],
      misses: [web, bare],
    },
  ])('$name', ({ selector, matches, misses }) => {
    const match = compileLabelSelector(selector);
    for (const labels of matches) expect(match(labels), JSON.stringify(labels)).toBe(true);
    for (const labels of misses) expect(match(labels), JSON.stringify(labels)).toBe(false);
  });

  it.each([
    { whenAbsent: 'nothing' as const, expected: false },
    { whenAbsent: 'everything' as const, expected: true },
  ])('absent selector with whenAbsent=$whenAbsent', ({ whenAbsent, expected }) => {
    expect(compileLabelSelector(undefined, { whenAbsent })(web)).toBe(expected);
    expect(compileLabelSelector(null, { whenAbsent })(bare)).toBe(expected);
  });

  it.each<{ selector: V1LabelSelector; field: RegExp; reason: RegExp }>([
    { selector: { matchExpressions: [{ key: 'app', operator: 'In', values: [] }] }, field: /matchExpressions\[0\]/, reason: /In needs at least one value/ },
    { selector: { matchExpressions: [{ key: 'app', operator: 'In' }] }, field: /matchExpressions\[0\]/, reason: /In needs at least one value/ },
    { selector: { matchExpressions: [{ key: 'a', operator: 'Exists' }, { key: 'app', operator: 'NotIn', values: [] }] }, field: /matchExpressions\[1\]/, reason: /NotIn needs/ },
    { selector: { matchExpressions: [{ key: 'app', operator: 'Exists', values: ['x'] }] }, field: /matchExpressions\[0\]/, reason: /takes no values/ },
    { selector: { matchExpressions: [{ key: 'app', operator: 'DoesNotExist', values: ['x'] }] }, field: /matchExpressions\[0\]/, reason: /takes no values/ },
    { selector: { matchExpressions: [{ key: 'app', operator: 'Gt', values: ['1'] }] }, field: /matchExpressions\[0\]/, reason: /unknown operator "Gt"/ },
    { selector: { matchLabels: { 'bad key': 'x' } }, field: /matchLabels\["bad key"\]/, reason: /name must be/ },
    { selector: { matchLabels: { 'Example.COM/app': 'x' } }, field: /matchLabels/, reason: /prefix must be a DNS subdomain/ },
    { selector: { matchLabels: { app: 'not valid!' } }, field: /matchLabels\["app"\]/, reason: /value "not valid!"/ },
  ])('rejects $selector', ({ selector, field, reason }) => {
    let caught: unknown;
    try {
      compileLabelSelector(selector);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ObjectInputError);
    const err = caught as ObjectInputError;
    expect(err.kind).toBe('LabelSelector');
    expect(err.field).toMatch(field);
    expect(err.reason).toMatch(reason);
    expect(err.object).not.toBe('');
  });

  it('names the object and field when given a context', () => {
    const selector = { matchExpressions: [{ key: 'app', operator: 'In', values: [] }] };
    const context = { kind: 'NetworkPolicy', object: 'default/deny', field: 'spec.ingress[0].from[1].podSelector' };
    expect(() => compileLabelSelector(selector, { context })).toThrow(
      'NetworkPolicy default/deny: spec.ingress[0].from[1].podSelector.matchExpressions[0]: operator In needs at least one value',
    );
  });
});

describe('label selector strings', () => {
  it.each<{ text: string; matches: Labels[]; misses: Labels[] }>([
    { text: '', matches: [web, db, bare], misses: [] },
    { text: 'app=web', matches: [web], misses: [db, bare] },
    { text: 'app==web', matches: [web], misses: [db] },
    { text: 'app!=web', matches: [db, bare], misses: [web] },
    { text: 'app in (web, api)', matches: [web], misses: [db, bare] },
    { text: 'app notin (db)', matches: [web, bare], misses: [db] },
    { text: 'critical', matches: [db], misses: [web] },
    { text: '!critical', matches: [web, bare], misses: [db] },
    { text: 'a=b,c!=d,e in (x,y),!f', matches: [{ a: 'b', e: 'x' }], misses: [{ a: 'b', e: 'x', f: '1' }, { a: 'b', c: 'd', e: 'y' }] },
    { text: 'tier=backend, app in (db)', matches: [db], misses: [web] },
  ])('"$text"', ({ text, matches, misses }) => {
    const match = compileLabelSelector(parseLabelSelector(text));
    for (const labels of matches) expect(match(labels), JSON.stringify(labels)).toBe(true);
    for (const labels of misses) expect(match(labels), JSON.stringify(labels)).toBe(false);
  });

  it.each(['app in ()', 'app=web,', 'app in (a', '=web', 'a b', 'app notin x'])('rejects "%s"', (text) => {
    expect(() => parseLabelSelector(text)).toThrow(ObjectInputError);
  });

  it.each<{ selector: V1LabelSelector; text: string }>([
    { selector: {}, text: '' },
    { selector: { matchLabels: { b: '2', a: '1' } }, text: 'a=1,b=2' },
    {
      selector: {
        matchLabels: { z: 'last' },
        matchExpressions: [
          { key: 'm', operator: 'NotIn', values: ['y', 'x'] },
          { key: 'e', operator: 'Exists' },
          { key: 'd', operator: 'DoesNotExist' },
          { key: 'k', operator: 'In', values: ['v'] },
        ],
      },
      text: '!d,e,k in (v),m notin (x,y),z=last',
    },
  ])('formats $text', ({ selector, text }) => {
    expect(formatLabelSelector(selector)).toBe(text);
    // and the string form round-trips to an equivalent matcher
    const original = compileLabelSelector(selector);
    const reparsed = compileLabelSelector(parseLabelSelector(text));
    for (const labels of [web, db, bare, { z: 'last', e: '1', k: 'v' }, { z: 'last', e: '1', k: 'v', m: 'x' }]) {
      expect(reparsed(labels)).toBe(original(labels));
    }
  });
});
