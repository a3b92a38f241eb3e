// The REST semantics of each verb, independent of HTTP: defaulting, validation,
// resourceVersion preconditions, status subresources, patches, graceful deletion of
// pods, finalizers, namespace lifecycle and service allocation. Controllers inside the
// simulator write through here too, so their objects obey the same rules.
import { randomBytes } from 'node:crypto';
import { applyServerSideApply } from './simulator-apply.js';
import {
  defaultEndpointSlice,
  defaultNamespace,
  defaultNetworkPolicy,
  defaultPod,
  defaultService,
  initialPodStatus,
  normalizeNode,
  normalizePodStatus,
  prepareServiceUpdate,
} from './simulator-defaults.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, isObject } from './simulator-patch.js';
import {
  ENDPOINT_SLICE,
  EVENT,
  LEASE,
  NAMESPACE,
  NETWORK_POLICY,
  NODE,
  POD,
  RESOURCE_TYPES,
  SERVICE,
  groupVersion,
  keyOf,
  type KObject,
  type ResourceType,
} from './simulator-resources.js';
import { compileSelectors } from './simulator-selectors.js';
import type { ServiceAllocator } from './simulator-service-allocator.js';
import { FieldErrors, alreadyExists, badRequest, conflict, forbidden, gone, notFound, type Status } from './simulator-status.js';
import { timestamp, type SimulatorStore } from './simulator-store.js';
import {
  asList,
  asObj,
  mutablePodSpecView,
  validateEndpointSlice,
  validateMeta,
  validateNetworkPolicy,
  validateNode,
  validatePod,
  validatePodStatus,
  validateService,
} from './simulator-validation.js';

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

export interface WriteOptions {
  readonly dryRun?: boolean;
  readonly fieldManager?: string;
  readonly force?: boolean;
}

export interface DeleteOptions extends WriteOptions {
  readonly gracePeriodSeconds?: number;
  readonly preconditions?: { uid?: string; resourceVersion?: string };
}

export interface ListQuery {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continue?: string;
}

export interface ListResult {
  readonly items: KObject[];
  readonly resourceVersion: string;
  readonly continue?: string;
  readonly remainingItemCount?: number;
}

export type DeleteResult = { readonly object: KObject } | { readonly status: Status };

interface KindStrategy {
  /** Defaults applied to every write of the main resource. */
  defaults?(obj: KObject, create: boolean): void;
  /** Server-set status of a new object (replaces whatever the client sent). */
  initialStatus?(obj: KObject): void;
  prepareUpdate?(obj: KObject, old: KObject): void;
  validate?(obj: KObject, errs: FieldErrors): void;
  validateUpdate?(obj: KObject, old: KObject, errs: FieldErrors): void;
  validateStatus?(obj: KObject, errs: FieldErrors): void;
  /** PUT of a missing object creates it. */
  readonly createOnUpdate?: boolean;
  /** DELETE answers with the object (not a Status). */
  readonly returnsDeletedObject?: boolean;
}

const STRATEGIES = new Map<ResourceType, KindStrategy>([
  [NAMESPACE, { defaults: defaultNamespace, returnsDeletedObject: true }],
  [
    NODE,
    {
      defaults: normalizeNode,
      validate: validateNode,
      validateStatus: validateNode,
      validateUpdate(obj, old, errs) {
        const [cidrs, oldCidrs] = [asList(asObj(obj.spec).podCIDRs), asList(asObj(old.spec).podCIDRs)];
        if (oldCidrs.length && JSON.stringify(cidrs) !== JSON.stringify(oldCidrs)) {
          errs.forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid');
        }
      },
    },
  ],
  [
    POD,
    {
      defaults: (pod, create) => create && defaultPod(pod),
      initialStatus: initialPodStatus,
      validate: validatePod,
      validateStatus: (pod, errs) => {
        normalizePodStatus(pod);
        validatePodStatus(pod, errs);
      },
      validateUpdate(pod, old, errs) {
        const [spec, oldSpec] = [asObj(pod.spec), asObj(old.spec)];
        if (JSON.stringify(mutablePodSpecView(spec)) !== JSON.stringify(mutablePodSpecView(oldSpec))) {
          errs.forbidden(
            'spec',
            'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
          );
        }
      },
      returnsDeletedObject: true,
    },
  ],
  [
    SERVICE,
    {
      defaults: defaultService,
      initialStatus: (svc) => (svc.status = { loadBalancer: {} }),
      prepareUpdate: prepareServiceUpdate,
      validate: validateService,
      returnsDeletedObject: true,
    },
  ],
  [EVENT, { createOnUpdate: true }],
  [
    ENDPOINT_SLICE,
    {
      defaults: defaultEndpointSlice,
      validate: validateEndpointSlice,
      validateUpdate(obj, old, errs) {
        if (obj.addressType !== old.addressType) errs.invalid('addressType', obj.addressType, 'field is immutable');
      },
      createOnUpdate: true,
    },
  ],
  [NETWORK_POLICY, { defaults: defaultNetworkPolicy, validate: validateNetworkPolicy }],
  [LEASE, { createOnUpdate: true }],
]);

/** Namespaces kube-apiserver creates and refuses to delete. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const UNDELETABLE_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function generateSuffix(): string {
  return [...randomBytes(5)].map((b) => GENERATE_ALPHABET[b % GENERATE_ALPHABET.length]).join('');
}

function encodeContinue(rv: number, key: string): string {
  return Buffer.from(JSON.stringify({ v: 'sim.k8s.io/v1', rv, start: key })).toString('base64url');
}

function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { rv?: unknown; start?: unknown };
    if (typeof parsed.rv === 'number' && typeof parsed.start === 'string') return { rv: parsed.rv, start: parsed.start };
  } catch {
    // fall through to the error below
  }
  throw badRequest('continue key is not valid: illegal base64 data');
}

export interface RegistryOptions {
  /** Pods bound to an existing node get deletionTimestamp and wait for the kubelet (default true). */
  readonly podGracefulDeletion?: boolean;
  /** How long a deleted namespace stays Terminating before its contents go (default 300 ms). */
  readonly namespaceDeletionDelayMs?: number;
}

export class Registry {
  constructor(
    readonly store: SimulatorStore,
    private readonly allocator: ServiceAllocator,
    private readonly options: RegistryOptions = {},
  ) {}

  get(type: ResourceType, namespace: string | undefined, name: string): KObject {
    const obj = this.store.get(type, namespace, name);
    if (!obj) throw notFound(type, name);
    return obj;
  }

  list(type: ResourceType, query: ListQuery = {}): ListResult {
    const matches = compileSelectors(type, query.labelSelector, query.fieldSelector);
    let items = this.store.list(type, type.namespaced ? query.namespace : undefined).filter(matches);
    let rv = this.store.resourceVersion;
    if (query.continue) {
      const token = decodeContinue(query.continue);
      if (token.rv < this.store.compactedResourceVersion) {
        throw gone('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      }
      rv = token.rv;
      items = items.filter((obj) => keyOf(obj.metadata.namespace, obj.metadata.name ?? '') > token.start);
    }
    if (query.limit && query.limit > 0 && items.length > query.limit) {
      const page = items.slice(0, query.limit);
      const last = page[page.length - 1] as KObject;
      return {
        items: page,
        resourceVersion: String(rv),
        continue: encodeContinue(rv, keyOf(last.metadata.namespace, last.metadata.name ?? '')),
        remainingItemCount: items.length - page.length,
      };
    }
    return { items, resourceVersion: String(rv) };
  }

  /** Checks apiVersion/kind and the namespace of a body against the request. */
  private checkBody(type: ResourceType, body: unknown, namespace: string | undefined): KObject {
    if (!isObject(body)) throw badRequest('the body of the request is not a JSON object');
    const obj = body as unknown as KObject;
    if (obj.apiVersion !== undefined && obj.apiVersion !== groupVersion(type)) {
      throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${groupVersion(type)})`);
    }
    if (obj.kind !== undefined && obj.kind !== type.kind) {
      throw badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${type.kind})`);
    }
    obj.apiVersion = groupVersion(type);
    obj.kind = type.kind;
    obj.metadata = asObj(obj.metadata);
    if (type.namespaced) {
      if (obj.metadata.namespace && namespace && obj.metadata.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = namespace ?? obj.metadata.namespace;
    } else {
      delete obj.metadata.namespace;
    }
    return obj;
  }

  private checkNamespaceOpen(type: ResourceType, obj: KObject): void {
    if (!type.namespaced) return;
    const ns = this.store.peek(NAMESPACE, undefined, obj.metadata.namespace ?? '');
    if (!ns) throw notFound(NAMESPACE, obj.metadata.namespace ?? '');
    if (ns.metadata.deletionTimestamp) {
      throw forbidden(type, obj.metadata.name ?? '', `unable to create new content in namespace ${obj.metadata.namespace ?? ''} because it is being terminated`);
    }
  }

  create(type: ResourceType, namespace: string | undefined, body: unknown, options: WriteOptions = {}): KObject {
    return this.createObject(type, namespace, body, options, false);
  }

  private createObject(type: ResourceType, namespace: string | undefined, body: unknown, options: WriteOptions, applied: boolean): KObject {
    const obj = this.checkBody(type, structuredClone(body), namespace);
    const meta = obj.metadata;
    if (meta.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${generateSuffix()}`;
    for (const field of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'selfLink'] as const) delete meta[field];
    // Only server-side apply records field ownership.
    if (!applied) delete meta.managedFields;
    const strategy = STRATEGIES.get(type) ?? {};
    strategy.defaults?.(obj, true);
    if (strategy.initialStatus) strategy.initialStatus(obj);
    this.validate(type, obj, strategy);
    this.checkNamespaceOpen(type, obj);
    if (this.store.peek(type, meta.namespace, meta.name ?? '')) throw alreadyExists(type, meta.name ?? '');
    if (type === SERVICE) this.allocator.allocate(obj, keyOf(meta.namespace, meta.name ?? ''));
    if (options.dryRun) return obj;
    return this.store.create(type, obj);
  }

  private validate(type: ResourceType, obj: KObject, strategy: KindStrategy, old?: KObject): void {
    const errs = new FieldErrors();
    validateMeta(type, obj, errs);
    strategy.validate?.(obj, errs);
    if (old) strategy.validateUpdate?.(obj, old, errs);
    errs.throwIfAny(type, obj.metadata.name ?? '');
  }

  /** PUT: replaces the object (or its status); a stale resourceVersion is 409 Conflict. */
  update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    subresource: 'status' | undefined,
    options: WriteOptions = {},
  ): { object: KObject; created: boolean } {
    const obj = this.checkBody(type, structuredClone(body), namespace);
    if (obj.metadata.name && obj.metadata.name !== name) {
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    obj.metadata.name = name;
    const old = this.store.get(type, namespace, name);
    if (!old) {
      const strategy = STRATEGIES.get(type) ?? {};
      if (!strategy.createOnUpdate || subresource) throw notFound(type, name);
      delete obj.metadata.resourceVersion;
      return { object: this.create(type, namespace, obj, options), created: true };
    }
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(type, name);
    }
    return { object: this.replace(type, obj, old, subresource, options), created: false };
  }

  private replace(type: ResourceType, input: KObject, old: KObject, subresource: 'status' | undefined, options: WriteOptions): KObject {
    const strategy = STRATEGIES.get(type) ?? {};
    let obj = input;
    // Identity and lifecycle metadata belong to the server.
    for (const field of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'] as const) {
      if (old.metadata[field] === undefined) delete obj.metadata[field];
      else obj.metadata[field] = old.metadata[field] as never;
    }
    if (old.metadata.managedFields && !obj.metadata.managedFields) obj.metadata.managedFields = old.metadata.managedFields;
    if (subresource === 'status') {
      // /status changes status (and labels/annotations); the spec stays as stored.
      obj = { ...structuredClone(old), metadata: { ...old.metadata, labels: obj.metadata.labels, annotations: obj.metadata.annotations }, status: obj.status };
      if (obj.metadata.labels === undefined) delete obj.metadata.labels;
      if (obj.metadata.annotations === undefined) delete obj.metadata.annotations;
      const errs = new FieldErrors();
      (strategy.validateStatus ?? (() => undefined))(obj, errs);
      validateMeta(type, obj, errs);
      errs.throwIfAny(type, obj.metadata.name ?? '');
    } else {
      if (type.statusSubresource) obj.status = old.status;
      if (type === NAMESPACE) obj.spec = old.spec;
      strategy.defaults?.(obj, false);
      strategy.prepareUpdate?.(obj, old);
      this.validate(type, obj, strategy, old);
      if (type === SERVICE) this.allocator.allocate(obj, keyOf(obj.metadata.namespace, obj.metadata.name ?? ''), old);
    }
    if (options.dryRun) return obj;
    // An object waiting for its finalizers goes once the last one is removed.
    if (obj.metadata.deletionTimestamp && !asList(obj.metadata.finalizers).length && type !== NAMESPACE && type !== POD) {
      this.store.update(type, obj);
      return this.store.delete(type, obj.metadata.namespace, obj.metadata.name ?? '') ?? obj;
    }
    return this.store.update(type, obj);
  }

  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    patch: unknown,
    subresource: 'status' | undefined,
    options: WriteOptions = {},
  ): KObject {
    const old = this.store.get(type, namespace, name);
    if (patchType === 'apply') {
      if (!options.fieldManager) throw badRequest('PATCH request must specify a field manager');
      const { object, created } = applyServerSideApply(type, old, patch, options.fieldManager, name, namespace);
      if (created) return this.createObject(type, namespace, object, options, true);
      return this.replace(type, this.checkBody(type, object, namespace), old as KObject, subresource, options);
    }
    if (!old) throw notFound(type, name);
    let patched: unknown;
    switch (patchType) {
      case 'merge':
        if (!isObject(patch)) throw badRequest('merge patch must be a JSON object');
        patched = applyMergePatch(old, patch);
        break;
      case 'strategic':
        patched = applyStrategicMergePatch(type.kind, old, patch);
        break;
      case 'json':
        patched = applyJsonPatch(old, patch, type, name);
        break;
    }
    const obj = this.checkBody(type, patched, namespace);
    if (obj.metadata.name !== name) throw badRequest(`metadata.name: Invalid value: ${JSON.stringify(obj.metadata.name)}: field is immutable`);
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== old.metadata.resourceVersion) throw conflict(type, name);
    return this.replace(type, obj, old, subresource, options);
  }

  delete(type: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions = {}): DeleteResult {
    const old = this.store.get(type, namespace, name);
    if (!old) throw notFound(type, name);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== old.metadata.uid) {
      throw conflict(type, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid ?? ''}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(type, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion ?? ''}`);
    }
    const strategy = STRATEGIES.get(type) ?? {};
    const answer = (obj: KObject): DeleteResult =>
      strategy.returnsDeletedObject || obj.metadata.deletionTimestamp
        ? { object: obj }
        : { status: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', message: '', reason: '', details: { name, ...(type.group ? { group: type.group } : {}), kind: type.plural, uid: obj.metadata.uid ?? '' }, code: 200 } as Status };
    if (type === NAMESPACE) return answer(this.beginNamespaceDeletion(old, options));
    if (type === POD) {
      const graceful = this.podGracePeriod(old, options);
      if (graceful > 0) return answer(this.markDeleting(type, old, graceful, options));
    } else if (asList(old.metadata.finalizers).length) {
      return answer(this.markDeleting(type, old, 0, options));
    }
    if (options.dryRun) return answer(old);
    return answer(this.store.delete(type, namespace, name) ?? old);
  }

  /**
   * Pods on a node wait for the kubelet: they get deletionTimestamp = now + grace, and go
   * when the kubelet deletes them again with gracePeriodSeconds=0. Pods that never ran
   * (no node, or a node that is gone, or finished) go at once, as kube-apiserver and the
   * pod GC controller do.
   */
  private podGracePeriod(pod: KObject, options: DeleteOptions): number {
    if (this.options.podGracefulDeletion === false) return 0;
    const spec = asObj(pod.spec);
    const phase = asObj(pod.status).phase;
    if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
    if (!this.store.peek(NODE, undefined, spec.nodeName as string)) return 0;
    const requested = options.gracePeriodSeconds ?? (spec.terminationGracePeriodSeconds as number | undefined) ?? 30;
    if (requested <= 0) return 0;
    const current = pod.metadata.deletionGracePeriodSeconds;
    return current !== undefined ? Math.min(current, requested) : requested;
  }

  private markDeleting(type: ResourceType, old: KObject, graceSeconds: number, options: DeleteOptions): KObject {
    const obj = structuredClone(old);
    if (!obj.metadata.deletionTimestamp || (obj.metadata.deletionGracePeriodSeconds ?? 0) > graceSeconds) {
      obj.metadata.deletionTimestamp = timestamp(new Date(Date.now() + graceSeconds * 1000));
      obj.metadata.deletionGracePeriodSeconds = graceSeconds;
    }
    if (options.dryRun) return obj;
    return this.store.update(type, obj);
  }

  private beginNamespaceDeletion(ns: KObject, options: DeleteOptions): KObject {
    const name = ns.metadata.name ?? '';
    if (UNDELETABLE_NAMESPACES.has(name)) throw forbidden(NAMESPACE, name, 'this namespace may not be deleted');
    if (ns.metadata.deletionTimestamp || options.dryRun) return ns;
    const obj = structuredClone(ns);
    obj.metadata.deletionTimestamp = timestamp();
    obj.metadata.deletionGracePeriodSeconds = 0;
    obj.status = { ...asObj(obj.status), phase: 'Terminating' };
    const stored = this.store.update(NAMESPACE, obj);
    // The namespace controller's job, a moment later (clients deleting the namespace's
    // objects right after it still find them, as with a real cluster).
    setTimeout(() => this.finishNamespaceDeletion(name), this.options.namespaceDeletionDelayMs ?? 300).unref();
    return stored;
  }

  /** Deletes the namespace's contents (pods gracefully), then the namespace once no pod is left. */
  private finishNamespaceDeletion(name: string): void {
    const ns = this.store.peek(NAMESPACE, undefined, name);
    if (!ns?.metadata.deletionTimestamp) return;
    for (const type of RESOURCE_TYPES) {
      if (!type.namespaced) continue;
      for (const obj of this.store.list(type, name)) {
        if (type === POD) {
          if (!obj.metadata.deletionTimestamp) this.delete(POD, name, obj.metadata.name ?? '');
        } else {
          this.store.delete(type, name, obj.metadata.name ?? '');
        }
      }
    }
    if (this.store.list(POD, name).length) {
      setTimeout(() => this.finishNamespaceDeletion(name), 200).unref();
      return;
    }
    this.store.delete(NAMESPACE, undefined, name);
  }

  deleteCollection(type: ResourceType, query: ListQuery, options: DeleteOptions = {}): KObject[] {
    const items = this.list(type, { ...query, limit: 0 }).items;
    const deleted: KObject[] = [];
    for (const obj of items) {
      const result = this.delete(type, obj.metadata.namespace, obj.metadata.name ?? '', options);
      if ('object' in result) deleted.push(result.object);
    }
    return deleted;
  }

  /** POST pods/<name>/binding: what the scheduler does to put a pod on a node. */
  bind(namespace: string, name: string, body: unknown): void {
    const target = asObj(asObj(body).target);
    const pod = this.get(POD, namespace, name);
    const spec = asObj(pod.spec);
    if (spec.nodeName) throw conflict(POD, name, `pod ${name} is already assigned to node "${String(spec.nodeName)}"`);
    if (!target.name) throw badRequest('binding target name is required');
    spec.nodeName = target.name;
    const status = asObj(pod.status);
    const conditions = asList(status.conditions).map(asObj).filter((c) => c.type !== 'PodScheduled');
    status.conditions = [...conditions, { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: timestamp() }];
    this.store.update(POD, pod);
  }
}
