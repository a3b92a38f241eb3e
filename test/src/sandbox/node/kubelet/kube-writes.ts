// The kubelet's writes that KubeClient has no verb for: the pods/status and nodes/status
// subresources, and the final DELETE with gracePeriodSeconds=0 that confirms a pod is
// gone from its node. Requests go through the client's own transport (same server,
// credentials and keep-alive agent).
import { ApiError } from '@kr/errors';
import { NODES, PODS, resourcePath, type KubeClient } from '@kr/k8s';

interface RawRequest {
  readonly method: 'PATCH' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number>>;
  readonly body: unknown;
  readonly contentType?: string;
}

const MERGE_PATCH = 'application/merge-patch+json';
const REQUEST_TIMEOUT_MS = 30_000;

async function send(client: KubeClient, req: RawRequest): Promise<{ status: number; body: string }> {
  const what = `${req.method} ${req.path}`;
  try {
    const res = await client.transport.open({ ...req, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    res.setEncoding('utf8');
    let body = '';
    for await (const chunk of res) body += chunk as string;
    return { status: res.statusCode ?? 0, body };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(`${what}: ${(err as Error).message}`, undefined, { cause: err });
  }
}

function failure(req: RawRequest, status: number, body: string): ApiError {
  let message = body.slice(0, 300);
  try {
    message = (JSON.parse(body) as { message?: string }).message ?? message;
  } catch {
    // Not a Status object: keep the text.
  }
  return new ApiError(`${req.method} ${req.path}: ${status}: ${message}`, status);
}

async function expectOk(client: KubeClient, req: RawRequest, alsoOk: readonly number[] = []): Promise<number> {
  const { status, body } = await send(client, req);
  if ((status >= 200 && status < 300) || alsoOk.includes(status)) return status;
  throw failure(req, status, body);
}

/** JSON merge patch of pods/<name>/status (lists in it replace the stored ones). */
export async function patchPodStatus(client: KubeClient, namespace: string, name: string, status: unknown): Promise<void> {
  await expectOk(client, { method: 'PATCH', path: `${resourcePath(PODS, { namespace, name })}/status`, body: { status }, contentType: MERGE_PATCH });
}

/** JSON merge patch of nodes/<name>/status. */
export async function patchNodeStatus(client: KubeClient, name: string, status: unknown): Promise<void> {
  await expectOk(client, { method: 'PATCH', path: `${resourcePath(NODES, { name })}/status`, body: { status }, contentType: MERGE_PATCH });
}

/**
 * The kubelet's last word on a terminating pod: DELETE with gracePeriodSeconds=0, for
 * this incarnation only (uid precondition). A pod already gone (404) or replaced by a new
 * one of the same name (409) is fine.
 */
export async function confirmPodDeletion(client: KubeClient, namespace: string, name: string, uid: string): Promise<void> {
  await expectOk(
    client,
    {
      method: 'DELETE',
      path: resourcePath(PODS, { namespace, name }),
      query: { gracePeriodSeconds: 0 },
      body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, preconditions: { uid } },
    },
    [404, 409],
  );
}
