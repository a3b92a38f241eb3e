// The lint rules CONVENTIONS.md asks for are really on: focused tests and import cycles
// fail `pnpm lint`. Runs ESLint with the repository's config on deliberate violations.
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO } from './harness.js';

async function lint(file: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: REPO, ignore: false });
  const [result] = await eslint.lintFiles([join(REPO, 'test/fixtures/lint', file)]);
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('lint', () => {
  it('rejects focused tests', async () => {
    expect(await lint('focused.test.ts')).toEqual([expect.stringMatching(/^no-restricted-properties: 'it.only' is restricted/)]);
  });
  it('rejects import cycles', async () => {
    expect(await lint('cycle-a.ts')).toEqual([expect.stringMatching(/^import-x\/no-cycle: Dependency cycle detected/)]);
  });
});
