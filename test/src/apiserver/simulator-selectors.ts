// labelSelector= and fieldSelector= query parameters, with kube-apiserver's answers to
// bad ones (400 BadRequest naming the problem).
import { errorMessage } from '@kr/errors';
import { compileLabelSelector, parseLabelSelector } from '@kr/k8s';
import { badRequest } from './simulator-status.js';
import { fieldValue, type KObject, type ResourceType } from './simulator-resources.js';

interface FieldRequirement {
  readonly field: string;
  readonly value: string;
  readonly equal: boolean;
}

/** Splits on commas that are not escaped with a backslash, and unescapes values. */
function splitEscaped(input: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i] as string;
    if (c === '\\' && i + 1 < input.length) {
      current += c + (input[i + 1] as string);
      i += 1;
    } else if (c === separator) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

function unescape(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

export function parseFieldSelector(type: ResourceType, input: string): FieldRequirement[] {
  const requirements: FieldRequirement[] = [];
  for (const part of splitEscaped(input, ',')) {
    if (part.trim() === '') continue;
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(part.trim());
    if (!m) throw badRequest(`invalid selector: '${input}'; can't understand '${part}'`);
    const field = (m[1] as string).trim();
    if (fieldValue(type, { metadata: {} }, field) === undefined) {
      throw badRequest(`field label not supported: ${field}`);
    }
    requirements.push({ field, value: unescape(m[3] as string), equal: m[2] !== '!=' });
  }
  return requirements;
}

/** Compiles both selectors of a list or watch request into one predicate. */
export function compileSelectors(type: ResourceType, labelSelector?: string, fieldSelector?: string): (obj: KObject) => boolean {
  let labels: (obj: KObject) => boolean = () => true;
  if (labelSelector) {
    try {
      const matcher = compileLabelSelector(parseLabelSelector(labelSelector));
      labels = (obj) => matcher(obj.metadata.labels);
    } catch (err) {
      throw badRequest(`unable to parse requirement: ${errorMessage(err)}`);
    }
  }
  const fields = fieldSelector ? parseFieldSelector(type, fieldSelector) : [];
  return (obj) => labels(obj) && fields.every((r) => (fieldValue(type, obj, r.field) === r.value) === r.equal);
}
