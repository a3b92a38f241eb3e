/**
 * The slice of a pino logger the admin server uses. Structural, so a controller passes
 * its scoped pino logger as is and tests can pass a recorder, without this package
 * loading pino itself.
 */
export interface AdminLogger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}
