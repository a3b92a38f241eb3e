// Each tool names the input line it choked on in its own way. These read the number
// from stderr; exec.ts turns it into { number, text } for DataplaneError.

function firstNumber(stderr: string, patterns: readonly RegExp[]): number | undefined {
  let best: { index: number; value: number } | undefined;
  for (const pattern of patterns) {
    const match = pattern.exec(stderr);
    if (match?.[1] !== undefined && (best === undefined || match.index < best.index)) {
      best = { index: match.index, value: Number(match[1]) };
    }
  }
  return best?.value;
}

/**
 * nft: "/dev/stdin:4:25-25: Error: syntax error ...". Older releases name the input
 * "-" instead of /dev/stdin. Errors the kernel returns at commit still carry the line of
 * the command that caused them ("/dev/stdin:5:24-30: Error: Could not process rule").
 */
export function nftFailingLine(stderr: string): number | undefined {
  return firstNumber(stderr, [/^(?:\/dev\/stdin|-):(\d+):\d+/m]);
}

/**
 * iptables-restore: the parser says "Error occurred at line: N"; commit-time failures
 * say "iptables-restore: line N failed"; a missing COMMIT says "COMMIT expected at line
 * N". With the nft backend, kernel errors are reported on the COMMIT line of the table.
 */
export function iptablesFailingLine(stderr: string): number | undefined {
  return firstNumber(stderr, [/Error occurred at line: (\d+)/, /\bline (\d+) failed/, /expected at line (\d+)/]);
}

/** ipset restore: "ipset v7.17: Error in line 3: Syntax error: ...". */
export function ipsetFailingLine(stderr: string): number | undefined {
  return firstNumber(stderr, [/Error in line (\d+):/]);
}

/**
 * ip -batch: "Command failed -:N" after the error message of a command the kernel
 * refused; with -force there may be several, and the first is reported. Argument errors
 * ("Error: any valid prefix is expected rather than "X".") make ip exit on the spot
 * without naming the line, even with -force. Those quote the offending word, so the
 * first input line containing that word is taken: a best effort, exact whenever the
 * word occurs once.
 */
export function ipBatchFailingLine(stderr: string, input = ''): number | undefined {
  const reported = firstNumber(stderr, [/Command failed -:(\d+)/]);
  if (reported !== undefined) return reported;
  const lines = input.split('\n');
  for (const [, token] of stderr.matchAll(/"([^"\n]+)"/g)) {
    const index = lines.findIndex((line) => line.trim().split(/\s+/).includes(token!));
    if (index >= 0) return index + 1;
  }
  return undefined;
}
