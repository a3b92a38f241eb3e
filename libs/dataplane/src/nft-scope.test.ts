import { describe, expect, it } from 'vitest';
import { nftScriptScope } from './nft-scope.js';

// Addresses in scripts: 198.18.0.0/15 (IPv4), 2001:db8::/32 (IPv6); only table
// references matter here.

describe('nftScriptScope', () => {
  it.each([
    {
      name: 'command form, inet table (dual-stack)',
      script: 'add table inet kube-router-proxy\nflush table inet kube-router-proxy\nadd chain inet kube-router-proxy svc\nadd rule inet kube-router-proxy svc ip daddr 198.18.0.1 accept\nadd rule inet kube-router-proxy svc ip6 daddr 2001:db8::1 accept\n',
      want: [{ family: 'inet', name: 'kube-router-proxy' }],
    },
    {
      name: 'block form, ip and ip6 tables',
      script: 'table ip kr4 {\n  chain c {\n    type filter hook input priority 0; policy accept;\n    ip saddr 198.18.0.0/15 drop\n  }\n}\ntable ip6 kr6 {\n  set s { type ipv6_addr; elements = { 2001:db8::1 } }\n}\n',
      want: [
        { family: 'ip', name: 'kr4' },
        { family: 'ip6', name: 'kr6' },
      ],
    },
    {
      name: 'family omitted means ip',
      script: 'add table t\nadd chain t c\n',
      want: [{ family: 'ip', name: 't' }],
    },
    {
      name: 'element, map, set, ct helper and delete commands',
      script: 'add element inet a s { 198.18.0.1 }\nadd map ip6 b m { type ipv6_addr : verdict; }\ndelete set inet c s\nadd ct helper inet d ftp { type "ftp" protocol tcp; }\n',
      want: [
        { family: 'inet', name: 'a' },
        { family: 'ip6', name: 'b' },
        { family: 'inet', name: 'c' },
        { family: 'inet', name: 'd' },
      ],
    },
    {
      name: 'statements separated by semicolons, comments ignored',
      script: '# add table inet ignored\nadd table inet x; add chain inet x c # add table inet also-ignored\n',
      want: [{ family: 'inet', name: 'x' }],
    },
    { name: 'flush ruleset', script: 'flush ruleset\nadd table inet x\n', want: 'ruleset' },
    { name: 'include', script: 'include "/etc/x.nft"\n', want: 'ruleset' },
    { name: 'variable table name', script: 'define t = x\nadd table inet $t\n', want: 'ruleset' },
    { name: 'no table at all', script: '\n# nothing\n', want: 'ruleset' },
  ])('$name', ({ script, want }) => {
    expect(nftScriptScope(script)).toEqual(want);
  });
});
