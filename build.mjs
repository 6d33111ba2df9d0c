// Builds every bundle with esbuild: the CLI (never loads electron), the Electron main
// process and preload, and the renderer. Entries whose source does not exist yet are skipped.
import { build } from 'esbuild';
import { existsSync, mkdirSync, copyFileSync, chmodSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const node = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning', define: { VERSION: JSON.stringify(pkg.version) } };
const targets = [
  { entryPoints: ['main/cli/main.ts'], outfile: 'dist/cli.js', ...node, banner: { js: '#!/usr/bin/env node' } },
  { entryPoints: ['test/bench/proxy-bench.ts'], outfile: 'dist/bench/proxy-bench.js', ...node },
  { entryPoints: ['test/bench/cache-only.ts'], outfile: 'dist/bench/cache-only.js', ...node },
  { entryPoints: ['test/bench/soak.ts'], outfile: 'dist/bench/soak.js', ...node },
  { entryPoints: ['test/bench/request-cost.ts'], outfile: 'dist/bench/request-cost.js', ...node },
  { entryPoints: ['main/shell/main.ts'], outfile: 'dist/shell/main.js', ...node, external: ['electron'] },
  // Sandboxed preloads may only require('electron') and a few polyfilled modules.
  { entryPoints: ['main/shell/preload.ts'], outfile: 'dist/shell/preload.js', ...node, platform: 'browser', external: ['electron'] },
  {
    entryPoints: ['renderer/index.tsx'], outfile: 'dist/renderer/index.js', bundle: true, platform: 'browser',
    format: 'esm', target: 'chrome120', jsx: 'automatic', sourcemap: true, logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"', VERSION: JSON.stringify(pkg.version) }, minify: true,
  },
];

await Promise.all(targets.filter((t) => existsSync(t.entryPoints[0])).map((t) => build(t)));
if (existsSync('dist/cli.js')) chmodSync('dist/cli.js', 0o755);
if (existsSync('renderer/index.html')) {
  mkdirSync('dist/renderer', { recursive: true });
  copyFileSync('renderer/index.html', 'dist/renderer/index.html');
}
