// Runs the built CLI's `serve` as a child process, as users do, and collects its NDJSON log.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LogEntry } from '#shared/log';
import { whileLive } from './stop-on-signal';

export const CLI = resolve(__dirname, '../../dist/cli.js');

export interface Serve {
  child: ChildProcess;
  socket: string;
  host: string;
  home: string;
  entries: LogEntry[];
  stdout(): string;
  stderr(): string;
  /** Waits until a finished request matching `pred` was logged. */
  waitForEntry(pred: (e: LogEntry) => boolean, timeoutMs?: number): Promise<LogEntry>;
  /** Stops serve; a home folder made for it (none given) goes with it, a given one stays its owner's. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ServeOptions {
  upstream?: string;
  config?: string;
  home?: string;
  env?: NodeJS.ProcessEnv;
  extraArgs?: string[];
  /** Discard the request log (benchmarks: the reader's own parsing would cost CPU). */
  quiet?: boolean;
  /** A command that runs serve for us, e.g. `setpriv --reuid … --init-groups` to run as another user. */
  runAs?: string[];
  /** Options for node itself, before the CLI (the soak's --expose-gc and probe). */
  nodeArgs?: string[];
  /** Open an IPC channel to the process (child.send / 'message'). */
  ipc?: boolean;
  /** Another build's dist/cli.js (benchmarks comparing builds); this build's by default. */
  cli?: string;
  /** What serve prints: every request (default here), or `default` for serve's own default. */
  log?: 'all' | 'actions' | 'default';
}

export async function startServe(opts: ServeOptions = {}): Promise<Serve> {
  const cli = opts.cli ?? CLI;
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
  const ownHome = opts.home === undefined;
  const home = opts.home ?? mkdtempSync(join(tmpdir(), 'dc-serve-home-'));
  const removeOwnHome = () => {
    if (ownHome) rmSync(home, { recursive: true, force: true });
  };
  const socket = join(home, 'run', 'docker.sock');
  // Tests read every request's entry; `log: 'default'` runs serve as users do (pulls and failures).
  const log = opts.log ?? 'all';
  const args = [...(opts.nodeArgs ?? []), cli, 'serve', '--listen', socket, '--log-format', 'json', ...(log === 'default' ? [] : ['--log', log])];
  if (opts.upstream) args.push('--upstream', opts.upstream);
  args.push('--config', opts.config ?? join(home, 'config.yaml'));
  args.push(...(opts.extraArgs ?? []));
  const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_RUNTIME_DIR: '', DOCKER_HOST: '', ...opts.env };
  const [command, ...prefix] = [...(opts.runAs ?? []), process.execPath];
  const child = spawn(command!, [...prefix, ...args], { env, stdio: ['ignore', opts.quiet ? 'ignore' : 'pipe', 'pipe', ...(opts.ipc ? ['ipc' as const] : [])] });
  let out = '';
  let err = '';
  const entries: LogEntry[] = [];
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (line.trim()) entries.push(JSON.parse(line) as LogEntry);
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const deadline = Date.now() + 15_000;
  while (!err.includes('listening at')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      if (child.exitCode === null) child.kill('SIGKILL');
      removeOwnHome();
      throw new Error(child.exitCode !== null ? `serve exited with ${child.exitCode}: ${err}` : `serve did not start: ${err}`);
    }
    await sleep(25);
  }
  let stopSignal: NodeJS.Signals = 'SIGTERM';
  const stopServe = whileLive(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill(stopSignal);
      await exited;
    }
    removeOwnHome();
    return child.exitCode;
  });
  return {
    child, socket, host: `unix://${socket}`, home, entries,
    stdout: () => out,
    stderr: () => err,
    async waitForEntry(pred, timeoutMs = 15_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const found = entries.find(pred);
        if (found) return found;
        if (Date.now() > end) throw new Error(`no matching log entry; got:\n${entries.map((e) => `${e.method} ${e.path} ${e.status}`).join('\n')}`);
        await sleep(20);
      }
    },
    stop: (signal: NodeJS.Signals = 'SIGTERM') => {
      stopSignal = signal;
      return stopServe();
    },
  };
}
