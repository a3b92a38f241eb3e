import type { AdminLogger } from '../logger.js';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: object;
  message: string | undefined;
}

/** A logger that keeps what it is given, so tests can assert on what was logged. */
export function recordingLogger(): { log: AdminLogger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (fields: object, message?: string) => {
    lines.push({ level, fields, message });
  };
  return { log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}
