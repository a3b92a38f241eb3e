import type { BackoffOptions } from '@kr/runner';

/** The bus is node-local: retry it sooner and cap lower than a remote API server. */
export const BUS_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 10_000 };
