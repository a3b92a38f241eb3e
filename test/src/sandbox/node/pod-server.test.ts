// The pod server and the probe client, as real processes in two namespaces joined by a
// veth: both protocols, both families, a closed port, an address nobody answers for.
//
// Test IP plan (nothing outside the test namespaces):
//   client ns   c0   203.0.113.1/24   2001:db8:113::1/64
//   server ns   s0   203.0.113.2/24   2001:db8:113::2/64
//   silent           203.0.113.9      2001:db8:113::9      (on the link, nobody owns it)
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './exec.js';
import { ensureSandboxBuilt, type SandboxBinaries } from './testing/build.js';
import { probeFrom } from './testing/fixtures.js';
import { createNetns, ipBatch, isRoot, rootFingerprint, settleAddresses, type TestNetns } from './testing/netns.js';

const NAME = 'shop/web-0';
const ADDR = {
  ipv4: { client: '203.0.113.1', server: '203.0.113.2', silent: '203.0.113.9', prefix: 24 },
  ipv6: { client: '2001:db8:113::1', server: '2001:db8:113::2', silent: '2001:db8:113::9', prefix: 64 },
} as const;

describe.skipIf(!isRoot())('pod server and probe client across two namespaces', () => {
  let bin: SandboxBinaries;
  let rootBefore: string;
  let client: TestNetns;
  let server: TestNetns;
  let serverProcess: ChildProcess;

  beforeAll(async () => {
    bin = ensureSandboxBuilt();
    rootBefore = await rootFingerprint();
    client = await createNetns();
    server = await createNetns();
    await ipBatch(client.name, [
      `link add c0 type veth peer name s0 netns ${server.name}`,
      `address add ${ADDR.ipv4.client}/${ADDR.ipv4.prefix} dev c0`,
      `address add ${ADDR.ipv6.client}/${ADDR.ipv6.prefix} dev c0 nodad`,
      'link set c0 up',
    ]);
    await ipBatch(server.name, [`address add ${ADDR.ipv4.server}/${ADDR.ipv4.prefix} dev s0`, `address add ${ADDR.ipv6.server}/${ADDR.ipv6.prefix} dev s0 nodad`, 'link set s0 up']);
    // A fresh veth loses the first IPv6 packets for a while (a SYN is then retransmitted
    // after 1 s): wait, as the CNI bridge plugin does, until the addresses have settled.
    await settleAddresses(client.name, 'c0');
    await settleAddresses(server.name, 's0');
    serverProcess = spawn('ip', ['netns', 'exec', server.name, process.execPath, '--max-semi-space-size=1', '--jitless', bin.podServer, '--name', NAME, '--ports', '8080/TCP,5353/UDP'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(serverProcess.stdout!, 'data')) as [Buffer];
    expect(JSON.parse(line.toString())).toEqual({
      ready: true,
      name: NAME,
      ports: [
        { port: 8080, protocol: 'TCP', address: '::' },
        { port: 5353, protocol: 'UDP', address: '::' },
      ],
    });
  });

  afterAll(async () => {
    if (serverProcess && serverProcess.exitCode === null) {
      const exited = once(serverProcess, 'exit');
      serverProcess.kill('SIGTERM');
      await exited;
    }
    await client?.delete();
    await server?.delete();
    expect(await rootFingerprint(), 'the root namespace must be untouched').toBe(rootBefore);
  });

  const rows = (['ipv4', 'ipv6'] as const).flatMap((family) => [
    { family, protocol: 'TCP' as const, port: 8080, ok: true, answeredBy: NAME },
    { family, protocol: 'UDP' as const, port: 5353, ok: true, answeredBy: NAME },
    { family, protocol: 'TCP' as const, port: 8081, ok: false, error: 'ECONNREFUSED' },
    { family, protocol: 'UDP' as const, port: 5354, ok: false, error: 'ECONNREFUSED' },
  ]);

  it.each(rows)('$family $protocol port $port: ok=$ok', async ({ family, protocol, port, ok, ...expected }) => {
    const [result] = await probeFrom(bin.probeClient, client.name, [{ id: 'r', ip: ADDR[family].server, port, protocol }], 2_000);
    expect(result).toMatchObject({ id: 'r', ok, ...expected });
    // Answers and refusals (RST, ICMP port unreachable) come at once, not at the timeout.
    expect(result!.ms).toBeLessThan(1_000);
  });

  it('probes all targets concurrently and respects the timeout for a silent address', async () => {
    const targets = (['ipv4', 'ipv6'] as const).flatMap((family) => [
      { id: `${family}-silent-tcp`, ip: ADDR[family].silent, port: 8080, protocol: 'TCP' as const },
      { id: `${family}-silent-udp`, ip: ADDR[family].silent, port: 5353, protocol: 'UDP' as const },
      { id: `${family}-web`, ip: ADDR[family].server, port: 8080, protocol: 'TCP' as const },
    ]);
    const started = Date.now();
    const results = await probeFrom(bin.probeClient, client.name, targets, 1_500);
    const elapsed = Date.now() - started;
    expect(results.map((r) => r.id)).toEqual(targets.map((t) => t.id));
    for (const r of results.filter((r) => r.id.includes('silent'))) {
      // No neighbour answers: either the timeout, or the kernel giving up on resolution.
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/timeout after 1500 ms|EHOSTUNREACH/);
      expect(r.ms).toBeGreaterThanOrEqual(1_450);
      expect(r.ms).toBeLessThan(3_000);
    }
    expect(results.filter((r) => r.id.endsWith('-web')).every((r) => r.ok && r.answeredBy === NAME)).toBe(true);
    // Concurrent: four timeouts of 1.5 s did not add up to 6 s (process start-up
    // included, with room for a loaded machine).
    expect(elapsed).toBeLessThan(4_500);
  });

  it.each([
    { program: 'probe client', args: ['--targets-json', '[{"id":"x","ip":"not-an-ip","port":1}]'], message: /"ip" must be an IP address/ },
    { program: 'probe client', args: ['--targets-json', '[]', '--timeout-ms', '0'], message: /--timeout-ms must be a positive integer/ },
    { program: 'pod server', args: ['--name', 'no-slash', '--ports', '80/TCP'], message: /--name NAMESPACE\/NAME is required/ },
    { program: 'pod server', args: ['--name', 'a/b', '--ports', '80/SCTP'], message: /"80\/SCTP" is not PORT\/TCP or PORT\/UDP/ },
  ])('$program rejects bad arguments with exit code 2', async ({ program, args, message }) => {
    const script = program === 'pod server' ? bin.podServer : bin.probeClient;
    const err = await run([process.execPath, script, ...args]).then(
      () => undefined,
      (e: unknown) => e as { exitCode: number; stderr: string },
    );
    expect(err?.exitCode).toBe(2);
    expect(err?.stderr).toMatch(message);
  });
});
