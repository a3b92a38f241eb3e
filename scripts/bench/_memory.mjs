// Where a process's resident memory is, from /proc/<pid>/smaps (shared by the benchmarks;
// files starting with "_" are not benchmarks themselves).
//   binary: pages of the executable and shared libraries. Read-only file pages, shared by
//           every process mapping the same files (four controllers from one image share
//           them), though RSS counts them in full for each.
//   malloc: glibc's main heap ([heap]).
//   anon:   other anonymous memory: the V8 heap, thread stacks, other malloc arenas.
import { readFileSync } from 'node:fs';

/** MiB per kind, and VmRSS; undefined when the process is gone. */
export function memoryOf(pid) {
  let smaps;
  let status;
  try {
    smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8');
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = { binary: 0, malloc: 0, anon: 0 };
  let mapping = '';
  for (const line of smaps.split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) mapping = head[1];
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) kib[mapping === '[heap]' ? 'malloc' : mapping.startsWith('/') ? 'binary' : 'anon'] += Number(rss[1]);
  }
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  const mib = (k) => +(k / 1024).toFixed(1);
  return { rssMiB: mib(field('VmRSS')), peakMiB: mib(field('VmHWM')), binaryMiB: mib(kib.binary), mallocMiB: mib(kib.malloc), anonMiB: mib(kib.anon) };
}
