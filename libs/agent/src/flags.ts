// A small pflag-compatible command-line parser, so operators can carry kube-router's
// flags over unchanged: `--name=value`, `--name value`, bare booleans (`--flag`,
// `--flag=false`), comma-separated and repeated lists, Go durations ("5m", "1m30s"),
// and `-h`/`--help`, `-V`/`--version`. Every value is validated up front; a bad one is
// a ConfigError naming the flag, which the binaries turn into exit code 2.
import { ConfigError } from '@kr/errors';

export type FlagValue = string | number | boolean | readonly string[] | readonly number[];

interface FlagBase<T> {
  readonly name: string;
  readonly help: string;
  readonly default: T;
  /** One-letter alias, as pflag's shorthand (`-v`). */
  readonly short?: string;
  /** Extra validation after parsing; return a reason to reject the value. */
  readonly check?: (value: T) => string | undefined;
}

export type FlagSpec =
  | (FlagBase<boolean> & { readonly type: 'bool' })
  | (FlagBase<string> & { readonly type: 'string' })
  | (FlagBase<number> & { readonly type: 'int'; readonly min?: number; readonly max?: number })
  | (FlagBase<number> & { readonly type: 'duration' })
  | (FlagBase<readonly string[]> & { readonly type: 'strings' })
  | (FlagBase<readonly number[]> & { readonly type: 'ints'; readonly min?: number; readonly max?: number });

type ValueOf<S extends FlagSpec> = S['default'];
export type FlagValues<Specs extends readonly FlagSpec[]> = {
  [S in Specs[number] as S['name']]: ValueOf<S>;
};

export type ParseResult<Specs extends readonly FlagSpec[]> =
  | { readonly kind: 'run'; readonly values: FlagValues<Specs>; readonly explicit: ReadonlySet<string> }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' };

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go duration ("300ms", "1m30s", "2h", "0") into milliseconds. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
    consumed = re.lastIndex;
  }
  if (s === '' || consumed !== s.length) {
    throw new Error(`${JSON.stringify(text)} is not a duration (examples: 300ms, 30s, 5m, 1h30m)`);
  }
  return Math.round(total);
}

/** Formats milliseconds the way Go prints durations, for help texts. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(rest % 1000 === 0 ? `${rest / 1000}s` : `${rest}ms`);
  return parts.join('');
}

function parseBool(name: string, raw: string): boolean {
  switch (raw.toLowerCase()) {
    case '1': case 't': case 'true':
      return true;
    case '0': case 'f': case 'false':
      return false;
    default:
      throw new ConfigError(`--${name}`, `${JSON.stringify(raw)} is not a boolean (true or false)`);
  }
}

function parseInt10(name: string, raw: string, min?: number, max?: number): number {
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`--${name}`, `${JSON.stringify(raw)} is not an integer`);
  const n = Number(raw.trim());
  if (min !== undefined && n < min) throw new ConfigError(`--${name}`, `${n} is below the minimum ${min}`);
  if (max !== undefined && n > max) throw new ConfigError(`--${name}`, `${n} is above the maximum ${max}`);
  return n;
}

function splitList(raw: string): string[] {
  return raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * Parses argv (without node and script) against the specs. Later occurrences of a
 * scalar flag win; list flags accumulate, as pflag's slices do.
 */
export function parseFlags<const Specs extends readonly FlagSpec[]>(specs: Specs, argv: readonly string[]): ParseResult<Specs> {
  const byName = new Map<string, FlagSpec>();
  for (const spec of specs) {
    byName.set(spec.name, spec);
    if (spec.short) byName.set(spec.short, spec);
  }
  const values = new Map<string, FlagValue>(specs.map((s) => [s.name, s.default]));
  const explicit = new Set<string>();

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    if (arg === '-V' || arg === '--version') return { kind: 'version' };
    const m = /^--?([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!m || arg === '-' || arg === '--') {
      throw new ConfigError(arg, 'unexpected argument (flags look like --name=value)');
    }
    const name = m[1] as string;
    const spec = byName.get(name);
    if (!spec) throw new ConfigError(`--${name}`, 'unknown flag (see --help)');
    let raw = m[2];
    if (raw === undefined) {
      if (spec.type === 'bool') {
        raw = 'true';
      } else {
        const next = argv[i + 1];
        if (next === undefined || (next.startsWith('--') && next.length > 2)) {
          throw new ConfigError(`--${spec.name}`, 'needs a value');
        }
        raw = next;
        i++;
      }
    }
    const flag = `--${spec.name}`;
    let value: FlagValue;
    switch (spec.type) {
      case 'bool':
        value = parseBool(spec.name, raw);
        break;
      case 'string':
        value = raw;
        break;
      case 'int':
        value = parseInt10(spec.name, raw, spec.min, spec.max);
        break;
      case 'duration':
        try {
          value = parseDuration(raw);
        } catch (err) {
          throw new ConfigError(flag, (err as Error).message, { cause: err });
        }
        break;
      case 'strings': {
        const prev = explicit.has(spec.name) ? (values.get(spec.name) as readonly string[]) : [];
        value = [...prev, ...splitList(raw)];
        break;
      }
      case 'ints': {
        const prev = explicit.has(spec.name) ? (values.get(spec.name) as readonly number[]) : [];
        value = [...prev, ...splitList(raw).map((x) => parseInt10(spec.name, x, spec.min, spec.max))];
        break;
      }
    }
    values.set(spec.name, value);
    explicit.add(spec.name);
  }

  for (const spec of specs) {
    const reason = (spec.check as ((v: FlagValue) => string | undefined) | undefined)?.(values.get(spec.name) as FlagValue);
    if (reason) throw new ConfigError(`--${spec.name}`, reason);
  }
  return { kind: 'run', values: Object.fromEntries(values) as FlagValues<Specs>, explicit };
}

function defaultText(spec: FlagSpec): string {
  switch (spec.type) {
    case 'bool':
      return spec.default ? ' (default true)' : '';
    case 'string':
      return spec.default ? ` (default "${spec.default}")` : '';
    case 'int':
      return ` (default ${spec.default})`;
    case 'duration':
      return ` (default ${formatDuration(spec.default)})`;
    case 'strings':
    case 'ints':
      return spec.default.length ? ` (default [${spec.default.join(',')}])` : '';
  }
}

const TYPE_NAMES: Record<FlagSpec['type'], string> = {
  bool: '',
  string: 'string',
  int: 'int',
  duration: 'duration',
  strings: 'strings',
  ints: 'uints',
};

/** Help text in pflag's layout, flags sorted by name. */
export function formatHelp(usage: string, description: string, specs: readonly FlagSpec[]): string {
  const rows = [...specs]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((s) => {
      const left = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${TYPE_NAMES[s.type] ? ` ${TYPE_NAMES[s.type]}` : ''}`;
      return [left, `${s.help}${defaultText(s)}`] as const;
    });
  const width = Math.min(48, Math.max(...rows.map(([l]) => l.length)) + 3);
  const lines = rows.map(([l, r]) => `  ${l.padEnd(width)}${r}`);
  return `${description}\n\nUsage:\n  ${usage}\n\nFlags:\n${lines.join('\n')}\n  -h, --help${' '.repeat(Math.max(1, width - 10))}Print this help and exit\n  -V, --version${' '.repeat(Math.max(1, width - 13))}Print the version and exit\n`;
}
