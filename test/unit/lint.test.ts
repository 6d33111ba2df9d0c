// ESLint over the whole repository with the project's flat config (eslint.config.mjs), as a
// test so that `npm test` and CI count it; and proof that the config really checks the
// rules the code's disable comments name.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../harness/build';

const eslint = new ESLint({ cwd: projectRoot });

async function rulesHit(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

describe('eslint', () => {
  it('finds nothing in the repository', async () => {
    const results = await eslint.lintFiles(['.']);
    const problems = results.filter((r) => r.messages.length > 0);
    const formatter = await eslint.loadFormatter('stylish');
    expect(problems.length, await formatter.format(problems)).toBe(0);
    expect(results.length).toBeGreaterThan(100);
  }, 120_000);

  it('checks the React hooks rules in the renderer', async () => {
    const code = [
      "import { useEffect, useState } from 'react';",
      'export function View({ on, id }: { on: boolean; id: number }) {',
      '  if (on) useState(0);',
      '  const [n, setN] = useState(0);',
      '  useEffect(() => { setN(id + n); }, []);',
      '  return n;',
      '}',
    ].join('\n');
    const hit = await rulesHit(code, `${projectRoot}renderer/lint-probe.tsx`);
    expect(hit).toContain('react-hooks/rules-of-hooks');
    expect(hit).toContain('react-hooks/exhaustive-deps');
  });

  it('checks typescript-eslint rules and reports disable comments that suppress nothing', async () => {
    const code = [
      'export function f(x: any): number {',
      '  // eslint-disable-next-line no-control-regex -- nothing here to suppress',
      '  return Number(x);',
      '}',
    ].join('\n');
    const hit = await rulesHit(code, `${projectRoot}main/engine/lint-probe.ts`);
    expect(hit).toContain('@typescript-eslint/no-explicit-any');
    expect(hit.some((m) => m.includes('Unused eslint-disable directive'))).toBe(true);
  });
});
