// The sandbox's probe client: run inside a source namespace (pod, node or external host)
// with `ip netns exec`, it probes every target concurrently and prints one JSON line per
// target, in the order given:
//
//   probe-client.js --targets-json '[{"id":"x","ip":"10.244.1.5","port":8080,"protocol":"TCP"}]' --timeout-ms 1000
//   {"id":"x","ok":true,"answeredBy":"default/web","ms":3}
//
// A target is ok when it answered within the timeout: for TCP, the connection opened and
// the peer sent a line (a pod server sends its `namespace/name`); for UDP, a datagram came
// back. `answeredBy` is the first line of the answer. Otherwise `error` says why
// (ECONNREFUSED, EHOSTUNREACH, "timeout after 1000 ms", "connected, but no answer").
// Exit code 0 when it ran (whatever the results), 2 on bad arguments.
import { createSocket } from 'node:dgram';
import { connect, isIP } from 'node:net';
import { parseArgs } from 'node:util';

export interface ProbeTarget {
  readonly id: string;
  readonly ip: string;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
}

export interface ProbeResult {
  readonly id: string;
  readonly ok: boolean;
  readonly answeredBy?: string;
  readonly error?: string;
  readonly ms: number;
}

// UDP has no handshake: a datagram (or its answer) lost while a neighbour entry is being
// resolved would look like a dead target, so the question is repeated until the deadline.
const UDP_RESEND_MS = 200;
const MAX_ANSWER_BYTES = 4096;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function parseTargets(json: string): ProbeTarget[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new UsageError(`--targets-json is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(raw)) throw new UsageError('--targets-json must be a JSON array');
  return raw.map((t: unknown, i) => {
    const o = (t ?? {}) as Record<string, unknown>;
    const protocol = String(o['protocol'] ?? 'TCP').toUpperCase();
    const port = Number(o['port']);
    if (typeof o['id'] !== 'string') throw new UsageError(`target ${i}: "id" must be a string`);
    if (typeof o['ip'] !== 'string' || isIP(o['ip']) === 0) throw new UsageError(`target ${i}: "ip" must be an IP address`);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`target ${i}: "port" must be 1-65535`);
    if (protocol !== 'TCP' && protocol !== 'UDP') throw new UsageError(`target ${i}: "protocol" must be TCP or UDP`);
    return { id: o['id'], ip: o['ip'], port, protocol };
  });
}

function firstLine(data: string): string {
  return data.split('\n')[0]!.trim().slice(0, 200);
}

type Outcome = Omit<ProbeResult, 'id' | 'ms'>;

function probeTcp(target: ProbeTarget, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    let data = '';
    let connected = false;
    let settled = false;
    const socket = connect({ host: target.ip, port: target.port });
    const done = (result: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    // Whatever arrived counts, even if the peer then resets.
    const doneUnlessAnswered = (failure: Outcome) => done(data.length > 0 ? { ok: true, answeredBy: firstLine(data) } : failure);
    const timer = setTimeout(
      () => doneUnlessAnswered({ ok: false, error: connected ? `connected, but no answer within ${timeoutMs} ms` : `timeout after ${timeoutMs} ms` }),
      timeoutMs,
    );
    socket.setEncoding('utf8');
    socket.on('connect', () => (connected = true));
    socket.on('data', (chunk: string) => {
      data += chunk;
      if (data.includes('\n') || data.length > MAX_ANSWER_BYTES) done({ ok: true, answeredBy: firstLine(data) });
    });
    socket.on('end', () => doneUnlessAnswered({ ok: false, error: 'connected, but no answer' }));
    socket.on('error', (err: NodeJS.ErrnoException) => doneUnlessAnswered({ ok: false, error: err.code ?? err.message }));
  });
}

function probeUdp(target: ProbeTarget, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = createSocket(isIP(target.ip) === 6 ? 'udp6' : 'udp4');
    let resend: NodeJS.Timeout | undefined;
    let settled = false;
    const done = (result: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(resend);
      socket.close();
      resolve(result);
    };
    const timer = setTimeout(() => done({ ok: false, error: `timeout after ${timeoutMs} ms` }), timeoutMs);
    const ask = () => socket.send('probe\n', (err) => err && done({ ok: false, error: (err as NodeJS.ErrnoException).code ?? err.message }));
    socket.on('message', (msg) => done({ ok: true, answeredBy: firstLine(msg.toString('utf8')) }));
    // On a connected UDP socket the kernel reports ICMP errors (port unreachable → ECONNREFUSED).
    socket.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, error: err.code ?? err.message }));
    socket.connect(target.port, target.ip, () => {
      ask();
      resend = setInterval(ask, UDP_RESEND_MS);
    });
  });
}

async function probe(target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  const result = await (target.protocol === 'TCP' ? probeTcp(target, timeoutMs) : probeUdp(target, timeoutMs));
  return { id: target.id, ...result, ms: Math.round(performance.now() - started) };
}

async function main(): Promise<void> {
  let targets: ProbeTarget[];
  let timeoutMs: number;
  try {
    const { values } = parseArgs({ options: { 'targets-json': { type: 'string' }, 'timeout-ms': { type: 'string', default: '1000' } }, strict: true });
    if (values['targets-json'] === undefined) throw new UsageError('--targets-json is required');
    targets = parseTargets(values['targets-json']);
    timeoutMs = Number(values['timeout-ms']);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new UsageError('--timeout-ms must be a positive integer');
  } catch (err) {
    process.stderr.write(`probe-client: ${(err as Error).message}\nusage: probe-client.js --targets-json '[{"id":"x","ip":"10.244.1.5","port":8080,"protocol":"TCP"}]' [--timeout-ms 1000]\n`);
    process.exit(2);
  }
  const results = await Promise.all(targets.map((t) => probe(t, timeoutMs)));
  process.stdout.write(results.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

await main();
