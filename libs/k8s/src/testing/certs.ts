// Throwaway PKI for TLS tests, made with the openssl CLI (Node cannot issue X.509
// certificates itself): a CA, a server certificate for 127.0.0.1 / ::1 / localhost and
// a client certificate, all signed by the CA.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestPki {
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/** Undefined when the openssl binary is missing (callers skip with that reason). */
export async function makeTestPki(): Promise<TestPki | undefined> {
  try {
    await run('openssl', ['version']);
  } catch {
    return undefined;
  }
  const dir = await mkdtemp(join(tmpdir(), 'kr-pki-'));
  const at = (name: string): string => join(dir, name);
  try {
    const key = (name: string) => run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', at(name)]);
    await key('ca.key');
    await run('openssl', ['req', '-x509', '-new', '-key', at('ca.key'), '-subj', '/CN=kr-test-ca', '-days', '1', '-out', at('ca.crt')]);
    const issue = async (name: string, subject: string, ext: string): Promise<void> => {
      await key(`${name}.key`);
      await run('openssl', ['req', '-new', '-key', at(`${name}.key`), '-subj', subject, '-out', at(`${name}.csr`)]);
      await writeFile(at(`${name}.ext`), ext);
      await run('openssl', [
        'x509', '-req', '-in', at(`${name}.csr`), '-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial',
        '-days', '1', '-extfile', at(`${name}.ext`), '-out', at(`${name}.crt`),
      ]);
    };
    await issue('server', '/CN=kube-apiserver', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    await issue('client', '/CN=kube-router/O=system:nodes', 'extendedKeyUsage=clientAuth\n');
    const read = (name: string) => readFile(at(name), 'utf8');
    return {
      ca: await read('ca.crt'),
      serverCert: await read('server.crt'),
      serverKey: await read('server.key'),
      clientCert: await read('client.crt'),
      clientKey: await read('client.key'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
