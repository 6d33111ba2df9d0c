import { beforeAll, describe, expect, it } from 'vitest';
import { buildAndRead } from '../harness/build';

const loadsElectron = /require\(\s*["']electron["']\s*\)|from\s*["']electron["']|import\(\s*["']electron["']\s*\)/;

let bundles: Record<string, string> = {};
beforeAll(() => {
  bundles = buildAndRead(['dist/cli.js', 'dist/shell/main.js']);
}, 120_000);

describe('built bundles', () => {
  it('never load electron from the CLI, which runs under plain node', () => {
    const cli = bundles['dist/cli.js']!;
    expect(cli.length).toBeGreaterThan(1000);
    expect(cli).not.toMatch(loadsElectron);
    expect(cli).not.toContain('Electron failed to install correctly');
  });

  it('load electron in the app only from the runtime, never a bundled copy of the npm stub', () => {
    const main = bundles['dist/shell/main.js']!;
    expect(main).toMatch(loadsElectron);
    expect(main).not.toContain('Electron failed to install correctly');
  });
});
