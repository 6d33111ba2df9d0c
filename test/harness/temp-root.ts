// Global setup of every test project: the run's temp folders (the tests', and those of the
// dockerd, registries, Chromium and CLIs they start) all go into one folder under the
// system's temp dir, removed when the run ends, so a run leaves nothing behind whatever a
// test or a crashed child did. Workers inherit TMPDIR, so os.tmpdir() points there. The
// name stays short: dockerd's containerd puts sockets a few folders below it (108-byte limit).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeFolder } from './real-docker';

const MARK = 'DOCKER_CACHING_TEST_TMP';

export default function setup(): (() => void) | undefined {
  // The first project's setup makes the folder and the others share it; Vitest tears
  // projects down in reverse order, so the folder goes after every engine in it stopped.
  if (process.env[MARK] && process.env[MARK] === process.env.TMPDIR) return undefined;
  const outer = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), 'dct-'));
  process.env.TMPDIR = root;
  process.env[MARK] = root;
  return () => {
    removeFolder(root);
    delete process.env[MARK];
    if (outer === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = outer;
  };
}
