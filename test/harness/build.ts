// Runs `node build.mjs` for tests that check the built bundles, under a lock shared by every
// test worker, and reads the files while still holding it: never reads a half-written bundle.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const lockDir = join(projectRoot, 'dist', '.build-lock');
const staleMs = 5 * 60_000;

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function lock(): void {
  mkdirSync(join(projectRoot, 'dist'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lockDir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A test run that crashed while building leaves its lock behind.
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > staleMs) rmSync(lockDir, { recursive: true, force: true });
      } catch {
        // released meanwhile
      }
      sleep(100);
    }
  }
}

/** Builds every bundle, then returns the named files (paths relative to the project root). */
export function buildAndRead(files: string[]): Record<string, string> {
  lock();
  try {
    try {
      execFileSync(process.execPath, ['build.mjs'], { cwd: projectRoot, stdio: 'pipe' });
    } catch (err) {
      const output = `${(err as { stderr?: Buffer }).stderr ?? ''}`.trim();
      throw new Error(`npm run build failed, so the built bundles cannot be checked; fix the build first:\n${output}`, { cause: err });
    }
    const out: Record<string, string> = {};
    for (const file of files) {
      const path = join(projectRoot, file);
      if (!existsSync(path)) throw new Error(`the build did not produce ${file}: is its entry point in build.mjs and its source in place?`);
      out[file] = readFileSync(path, 'utf8');
    }
    return out;
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}
