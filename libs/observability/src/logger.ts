// The process logger: pino, JSON lines, one child per module (`module=<name>`), and log
// levels that can be changed at runtime per module (the admin SetLogLevel call).
//
// pino children copy their parent's level when they are created and do not follow later
// changes of the parent, so the root keeps a registry of module children and pushes level
// changes to them itself.
import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * Maps kube-router's klog verbosity (`--v`) to a level. kube-router logs routine progress
 * at V(1)-V(2), per-object chatter and heartbeats at V(3)-V(4) and dumps at V(5)+, so:
 * 0-2 → info, 3-4 → debug, 5 and above → trace.
 */
export function levelFromVerbosity(v: number): LogLevel {
  if (v >= 5) return 'trace';
  if (v >= 3) return 'debug';
  return 'info';
}

export interface LoggerOptions {
  /** Controller name; becomes the `name` field of every line. */
  name: string;
  level?: LogLevel;
  /** Kubernetes node name; becomes the `node` field of every line. */
  node?: string;
  /** Where lines go; stdout when omitted. */
  destination?: DestinationStream;
}

export interface RootLogger {
  /** The process-wide logger (no `module` field). */
  readonly logger: Logger;
  /**
   * The logger of a module; the same instance for the same name. Loggers derived from it
   * with `.child()` copy its level once and do not follow setLevel: derive per-call
   * context with bindings on the log call instead, or make it a module of its own.
   */
  child(module: string): Logger;
  /**
   * Sets the level of one module, or of the whole process when `module` is omitted (which
   * also clears every per-module override). Returns the level that was in effect before.
   */
  setLevel(level: LogLevel, module?: string): LogLevel;
  /** The level in effect for a module, or for the process. */
  level(module?: string): LogLevel;
}

export function createLogger(options: LoggerOptions): RootLogger {
  const root = pino(
    {
      name: options.name,
      level: options.level ?? 'info',
      base: { pid: process.pid, ...(options.node === undefined ? {} : { node: options.node }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names instead of pino's numbers: these lines are read by people and by
      // log pipelines that expect "level":"info".
      formatters: { level: (label) => ({ level: label }) },
      // Keep the whole cause chain of our named errors as nested objects.
      serializers: { err: pino.stdSerializers.errWithCause },
    },
    // pino's default destination writes synchronously to stdout (fd 1).
    options.destination,
  );
  const modules = new Map<string, Logger>();

  function moduleLogger(module: string): Logger {
    let logger = modules.get(module);
    if (!logger) {
      logger = root.child({ module });
      modules.set(module, logger);
    }
    return logger;
  }

  return {
    logger: root,
    child: moduleLogger,
    setLevel(level, module) {
      if (module === undefined || module === '') {
        const previous = root.level as LogLevel;
        root.level = level;
        for (const logger of modules.values()) logger.level = level;
        return previous;
      }
      const logger = moduleLogger(module);
      const previous = logger.level as LogLevel;
      logger.level = level;
      return previous;
    },
    level(module) {
      if (module === undefined || module === '') return root.level as LogLevel;
      return (modules.get(module)?.level ?? root.level) as LogLevel;
    },
  };
}
