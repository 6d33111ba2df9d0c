// What a benchmark started (engines, registries, serves, temp folders) is stopped and removed
// also when a signal ends it (Ctrl-C, `timeout`, a CI job cancelled): `finally` blocks do not
// run then, and a dockerd left behind keeps its mounts, its containers and its folder (one
// such was found running after a bench killed by `timeout`). The harness registers each thing
// it starts while it runs; tests need no more than that, as vitest tears them down.
import { constants } from 'node:os';
import { rmSync } from 'node:fs';

const live = new Set<() => Promise<unknown>>();

/** `stop`, known to stopAllOnSignal until it has been called. */
export function whileLive<T>(stop: () => Promise<T>): () => Promise<T> {
  const once = async () => {
    live.delete(once);
    return stop();
  };
  live.add(once);
  return once;
}

/** Removes `dir` on a signal too; the returned function removes it now. */
export function removedOnSignal(dir: string): () => Promise<void> {
  return whileLive(async () => rmSync(dir, { recursive: true, force: true }));
}

/** For a benchmark's main: on SIGINT, SIGTERM or SIGHUP, stops everything still live, then exits as that signal would. */
export function stopAllOnSignal(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the ${live.size} engines, registries, serves and folders this run started`);
      void Promise.allSettled([...live].map((stop) => stop())).finally(() => process.exit(128 + constants.signals[signal]));
    });
  }
}
