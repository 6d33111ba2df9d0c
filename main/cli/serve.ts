// `docker-caching serve`: runs the engine headless in the foreground, prints one line per
// finished request it acted on or that failed (every request with `--log all`), and on
// SIGINT/SIGTERM closes its connections, removes its socket and exits 0 within 5 s.
import { startEngine } from '../engine/start';
import type { LogFormat } from './log-line';
import { LogPrinter } from './log-printer';
import { isAction, type LogChoice } from './log-choice';
import { endpointFor } from '../engine/upstream/docker-context';

export interface ServeOptions {
  config?: string;
  listen?: string;
  upstream?: string;
  log: LogChoice;
  logFormat: LogFormat;
  group?: string;
}

const STOP_DEADLINE_MS = 5_000;
/**
 * Log entries kept in memory. `serve` shows no list and no details (each line is printed as
 * its request finishes), so few are kept: every kept entry is copied by each young-generation
 * GC while it lives. With 1,000 kept, GCs copied about twice the bytes per request.
 */
const LOG_CAPACITY = 64;

export async function serve(opts: ServeOptions): Promise<void> {
  // Connections carry their own error boundary; should anything still escape one, it is
  // reported and every other docker command keeps working.
  process.on('unhandledRejection', (err) => reportStray('an unhandled rejection', err));
  const engine = await startEngine({ configPath: opts.config, listen: opts.listen, upstream: opts.upstream, group: opts.group, logCapacity: LOG_CAPACITY });
  // Finished entries are printed off the data path, together and a slice at a time.
  const printer = new LogPrinter(opts.logFormat, (text) => process.stdout.write(text));
  const all = opts.log === 'all';
  engine.logs.subscribe((entry, kind) => {
    if (kind === 'end' && (all || isAction(entry))) printer.add(entry);
  });
  engine.config.onChange((state) => {
    if (state.error) {
      const p = state.error;
      process.stderr.write(`docker-caching: ${p.file}${p.line ? `:${p.line}` : ''}: ${p.field ? `${p.field}: ` : ''}${p.message} (keeping the last good rules)\n`);
    } else process.stderr.write(`docker-caching: reloaded ${state.path} (revision ${state.revision})\n`);
  });
  const status = engine.status();
  process.stderr.write(
    `docker-caching listening at ${engine.listenPath}\n` +
      `  engine: ${status.upstream.address} (${engine.upstream.source}${status.upstream.healthy ? `, Docker ${status.upstream.version}` : `, not reachable: ${status.upstream.error}`})\n` +
      `  config: ${status.configPath}${status.enabled ? '' : ' (redirection is switched off)'}\n` +
      `  use it: export DOCKER_HOST=${endpointFor(engine.listenPath)}\n`,
  );

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stderr.write(`docker-caching: ${signal} received, stopping\n`);
      const deadline = setTimeout(() => process.exit(0), STOP_DEADLINE_MS);
      deadline.unref();
      void engine.stop().then(() => {
        printer.flush();
        resolve();
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

function reportStray(what: string, err: unknown): void {
  process.stderr.write(`docker-caching: ${what} was caught and ignored (please report it): ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
}
