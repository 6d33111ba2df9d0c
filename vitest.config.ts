import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// `electron` cannot be loaded on machines without its binary: tests get a stub, and the
// shell's modules receive their Electron objects by injection anyway. `#shared/` is the
// project's own shared/ (tsconfig's paths, which esbuild reads for the real bundles).
const alias = {
  electron: fileURLToPath(new URL('./test/harness/electron-stub.ts', import.meta.url)),
  '#shared': fileURLToPath(new URL('./shared', import.meta.url)),
};
// Every project's temp folders go into one folder removed at the end (test/harness/temp-root.ts).
const tempRoot = 'test/harness/temp-root.ts';
// One private dockerd and its registries per integration project (test/harness/global-setup.ts).
const engine = {
  environment: 'node' as const,
  globalSetup: [tempRoot, 'test/harness/global-setup.ts'],
  fileParallelism: false,
  testTimeout: 120_000,
  hookTimeout: 180_000,
};

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/unit/**/*.test.tsx'], environment: 'node', globalSetup: [tempRoot] },
      },
      {
        resolve: { alias },
        // Engine 20.10, classic image store; the browser tests need one engine only.
        test: { name: 'integration', include: ['test/integration/**/*.test.ts', 'test/browser/**/*.test.ts'], ...engine },
      },
      {
        resolve: { alias },
        // Engine 26.1 with the containerd image store (CONTAINERD_PROJECT in global-setup.ts),
        // after the others: two engines' suites at once on two cores only make both slower.
        test: { name: 'integration-containerd', include: ['test/integration/**/*.test.ts'], ...engine, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
