// Durations as kubectl and Go spell them: `500ms`, `1s`, `1m30s` (the controllers' own
// parser); a bare number is seconds, as kubectl's --timeout takes it.
import { parseDuration as parseGoDuration } from '@kr/agent';
import { ConfigError } from '@kr/errors';

export function parseDuration(flag: string, text: string): number {
  const value = text.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  try {
    return parseGoDuration(value);
  } catch (err) {
    throw new ConfigError(flag, `${JSON.stringify(text)} is not a duration like 500ms, 1s, 2m`, { cause: err });
  }
}
