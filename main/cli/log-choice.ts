// Which finished requests `serve` prints. By default what docker-caching did (every pull, a
// rule's rewrite, a digest mapping, a block) and everything that failed: the headless engine
// stays quiet while the docker commands it passes through just work, and is loud when one
// does not. `--log all` prints every request, as the desktop inspector lists them. Pure.
import type { LogDetail } from '#shared/log';

export type LogChoice = 'actions' | 'all';

export const LOG_CHOICES: readonly LogChoice[] = ['actions', 'all'];

/** Whether `serve --log actions` prints this finished entry. */
export function isAction(entry: LogDetail): boolean {
  return (
    entry.route === 'pull' ||
    entry.rewrite !== undefined ||
    entry.action !== 'passed' ||
    entry.error !== undefined ||
    // No answer at all, or the engine's own failure.
    entry.status === null ||
    entry.status >= 500
  );
}
