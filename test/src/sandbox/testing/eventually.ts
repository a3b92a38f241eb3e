// Polling for end-to-end tests: BGP converges on its own time, after `kr-sandbox wait`
// has seen every controller apply the API's state.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Calls `read` until `done` accepts its value or `timeoutMs` passes; returns the last
 * value either way, so the caller's assertion on it shows what was wrong.
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(intervalMs);
  }
}
