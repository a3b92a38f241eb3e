// A minimal default-scheduler: pods without spec.nodeName (and schedulerName
// default-scheduler) are bound, through pods/binding, to the schedulable node that fits
// their nodeSelector and tolerates its NoSchedule/NoExecute taints, fewest pods first
// (ties by name). Unschedulable pods get PodScheduled=False, reason Unschedulable.
import type { Registry } from './simulator-registry.js';
import { NODE, POD, keyOf, type KObject } from './simulator-resources.js';
import type { ChangeEvent } from './simulator-store.js';
import { timestamp } from './simulator-store.js';
import { asList, asObj } from './simulator-validation.js';
import { WorkQueue } from './simulator-workqueue.js';

type Obj = Record<string, unknown>;

function wantsScheduling(pod: KObject): boolean {
  const spec = asObj(pod.spec);
  return !spec.nodeName && (spec.schedulerName ?? 'default-scheduler') === 'default-scheduler' && !pod.metadata.deletionTimestamp;
}

function tolerates(tolerations: Obj[], taint: Obj): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

function fits(pod: KObject, node: KObject): boolean {
  const nodeSpec = asObj(node.spec);
  if (nodeSpec.unschedulable) return false;
  const ready = asList(asObj(node.status).conditions).map(asObj).find((c) => c.type === 'Ready');
  if (ready && ready.status === 'False') return false;
  const selector = asObj(asObj(pod.spec).nodeSelector) as Record<string, string>;
  if (!Object.entries(selector).every(([k, v]) => node.metadata.labels?.[k] === v)) return false;
  const tolerations = asList(asObj(pod.spec).tolerations).map(asObj);
  return asList(nodeSpec.taints)
    .map(asObj)
    .filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')
    .every((t) => tolerates(tolerations, t));
}

export class Scheduler {
  private readonly queue: WorkQueue;

  constructor(
    private readonly registry: Registry,
    log: (message: string, fields?: Record<string, unknown>) => void,
  ) {
    this.queue = new WorkQueue(
      (key) => this.schedule(key),
      (key, err) => log('scheduling failed', { pod: key, err: String(err) }),
    );
    registry.store.subscribe((event) => this.onChange(event));
    this.queueAllPending();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private queueAllPending(): void {
    for (const pod of this.registry.store.list(POD)) if (wantsScheduling(pod)) this.queue.add(keyOf(pod.metadata.namespace, pod.metadata.name ?? ''));
  }

  private onChange(event: ChangeEvent): void {
    if (event.resource === POD && event.type !== 'DELETED' && wantsScheduling(event.object)) {
      this.queue.add(keyOf(event.object.metadata.namespace, event.object.metadata.name ?? ''));
    } else if (event.resource === NODE && event.type !== 'DELETED') {
      this.queueAllPending();
    }
  }

  private schedule(key: string): void {
    const [namespace, name] = key.split('/') as [string, string];
    const pod = this.registry.store.peek(POD, namespace, name);
    if (!pod || !wantsScheduling(pod)) return;
    const pods = this.registry.store.list(POD);
    const load = (node: string) => pods.filter((p) => asObj(p.spec).nodeName === node).length;
    const candidates = this.registry.store
      .list(NODE)
      .filter((node) => fits(pod, node))
      .sort((a, b) => load(a.metadata.name ?? '') - load(b.metadata.name ?? '') || ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
    const chosen = candidates[0];
    if (chosen) {
      this.registry.bind(namespace, name, { target: { kind: 'Node', name: chosen.metadata.name } });
      return;
    }
    const conditions = asList(asObj(pod.status).conditions).map(asObj);
    if (conditions.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable')) return;
    const updated = structuredClone(pod);
    const status = asObj(updated.status);
    status.conditions = [
      ...conditions.filter((c) => c.type !== 'PodScheduled'),
      { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/0 nodes are available: no node fits the pod.', lastProbeTime: null, lastTransitionTime: timestamp() },
    ];
    updated.status = status;
    this.registry.update(POD, namespace, name, updated, 'status');
  }
}
