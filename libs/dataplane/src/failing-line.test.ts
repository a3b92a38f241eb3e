import { describe, expect, it } from 'vitest';
import { ipBatchFailingLine, ipsetFailingLine, iptablesFailingLine, nftFailingLine } from './failing-line.js';

// stderr samples captured from nftables 1.0.6, iptables 1.8.9 (nft and legacy),
// ipset 7.17 and iproute2 6.1 (Debian 12).

describe('failing line parsers', () => {
  it.each([
    { tool: 'nft syntax', parse: nftFailingLine, stderr: '/dev/stdin:4:25-25: Error: syntax error, unexpected newline\n  ip saddr 1.2.3.4 dropx\n                        ^\n', want: 4 },
    { tool: 'nft kernel', parse: nftFailingLine, stderr: '/dev/stdin:5:24-30: Error: Could not process rule: No such file or directory\nadd rule inet t c jump nochain\n', want: 5 },
    { tool: 'nft old stdin name', parse: nftFailingLine, stderr: '-:12:1-3: Error: syntax error\n', want: 12 },
    { tool: 'nft no line', parse: nftFailingLine, stderr: 'Error: Could not process rule: Operation not permitted\n', want: undefined },
    { tool: 'iptables parser', parse: iptablesFailingLine, stderr: "iptables-restore v1.8.9 (nf_tables): Couldn't load match `bogus':No such file or directory\n\nError occurred at line: 4\nTry `iptables-restore -h' for more information.\n", want: 4 },
    { tool: 'iptables commit', parse: iptablesFailingLine, stderr: 'iptables-restore: line 2 failed: No chain/target/match by that name.\n', want: 2 },
    { tool: 'iptables no COMMIT', parse: iptablesFailingLine, stderr: 'iptables-restore: COMMIT expected at line 4\n', want: 4 },
    { tool: 'ip6tables', parse: iptablesFailingLine, stderr: "ip6tables-restore v1.8.9 (nf_tables): Chain 'NOPE' does not exist\nError occurred at line: 5\n", want: 5 },
    { tool: 'ipset', parse: ipsetFailingLine, stderr: 'ipset v7.17: Error in line 3: Syntax error: cannot parse 1.2.3.x: resolving to IPv4 address failed\n', want: 3 },
    { tool: 'ipset other', parse: ipsetFailingLine, stderr: 'ipset v7.17: The set with the given name does not exist\n', want: undefined },
    { tool: 'ip batch', parse: ipBatchFailingLine, stderr: 'Cannot find device "kr-nowhere"\nCommand failed -:3\n', want: 3 },
    { tool: 'ip batch -force', parse: ipBatchFailingLine, stderr: 'Cannot find device "d1"\nCommand failed -:2\nError: x\nCommand failed -:5\n', want: 2 },
  ])('$tool', ({ parse, stderr, want }) => {
    expect(parse(stderr, '')).toBe(want);
  });

  // ip exits at once on argument errors, without "Command failed": the quoted word
  // locates the line.
  it.each([
    { name: 'IPv4 bad prefix', stderr: 'Error: any valid prefix is expected rather than "198.18.0.300/24".\n', want: 2 },
    { name: 'IPv6 bad prefix', stderr: 'Error: any valid prefix is expected rather than "2001:db8:::1/64".\n', want: 3 },
    { name: 'word not in input', stderr: 'Error: "nope" is unknown.\n', want: undefined },
    { name: 'explicit line wins', stderr: 'Cannot find device "kr-test0"\nCommand failed -:4\n', want: 4 },
  ])('ip batch argument error: $name', ({ stderr, want }) => {
    const input = ['link add kr-test0 type bridge', 'address add 198.18.0.300/24 dev kr-test0', 'address add 2001:db8:::1/64 dev kr-test0', 'route add 198.18.8.0/24 dev kr-test0', ''].join('\n');
    expect(ipBatchFailingLine(stderr, input)).toBe(want);
  });
});
