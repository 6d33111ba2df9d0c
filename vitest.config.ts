import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// `electron` cannot be loaded on machines without its binary: tests get a stub, and the
// shell's modules receive their Electron objects by injection anyway.
const alias = { electron: fileURLToPath(new URL('./test/harness/electron-stub.ts', import.meta.url)) };

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/unit/**/*.test.tsx'], environment: 'node' },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/browser/**/*.test.ts'],
          environment: 'node',
          // One private dockerd and its registries for the whole run (test/harness/global-setup.ts).
          globalSetup: ['test/harness/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
