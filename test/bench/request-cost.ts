// `npm run bench:cost`: what one small request costs the proxy itself, steadier than latency
// on a shared machine: the CPU time (/proc/PID/stat) and the bytes allocated on the JS heap
// (summed from --trace-gc) by `serve` and by a bare Node pipe over N keep-alive pings.
// A benchmark, not a test: it asserts nothing and is not part of `npm test`.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDockerd } from '../harness/real-docker';
import { removedOnSignal, stopAllOnSignal, whileLive } from '../harness/stop-on-signal';
import { CLI } from '../harness/serve';
import { RAW_PIPE } from './references';

const PINGS = Number(process.env.COST_PINGS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Extra node options for serve, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where the time goes. */
const SERVE_NODE_ARGS = (process.env.COST_SERVE_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** The dist/cli.js of another build to measure beside this one. */
const COMPARE_CLI = process.env.COST_COMPARE_CLI;

/** A process under measurement: its CPU from /proc, and what its GCs report (--trace-gc-nvp). */
interface Measured {
  child: ChildProcess;
  socket: string;
  /** Bytes allocated on the JS heap, as the GCs counted them. */
  allocated: number;
  /** Bytes young-generation GCs copied (kept alive in, or promoted out of, the young generation). */
  copied: number;
  gcs: number;
  gcMs: number;
}

function watchGc(child: ChildProcess, m: Measured): void {
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      // [pid:0x…]   12 ms: pause=0.7 mutator=… gc=s … allocated=4697424 promoted=0 new_space_survived=403624 …
      const field = (name: string) => Number(new RegExp(` ${name}=([\\d.]+)`).exec(line)?.[1] ?? 0);
      if (!/ gc=\w+ /.test(line)) continue;
      m.allocated += field('allocated');
      m.gcMs += field('pause');
      m.gcs++;
      if (/ gc=s /.test(line)) m.copied += field('promoted') + field('new_space_survived');
    }
  });
}

/** User and system CPU time of a process so far, in ms. */
function cpuMs(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  // utime and stime are fields 14 and 15 (1-based) of the whole line, 12 and 13 after "(comm) ".
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
}

async function waitForSocket(path: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ path }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nothing listens at ${path}`);
}

/** N keep-alive pings one after another; returns each one's round trip in µs. */
async function pings(path: string, n: number): Promise<number[]> {
  const times: number[] = [];
  let sent = process.hrtime.bigint();
  const socket: Socket = connect({ path });
  await new Promise((r) => socket.once('connect', r));
  let buf = '';
  let done = 0;
  await new Promise<void>((resolve) => {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      buf += d;
      // A ping's answer is small and framed by Content-Length; its body is "OK".
      for (let end = buf.indexOf('\r\n\r\nOK'); end !== -1; end = buf.indexOf('\r\n\r\nOK')) {
        buf = buf.slice(end + 6);
        const now = process.hrtime.bigint();
        times.push(Number(now - sent) / 1000);
        sent = now;
        if (++done === n) return resolve();
        socket.write('GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n');
      }
    });
    socket.write('GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n');
  });
  socket.destroy();
  return times;
}

async function main(): Promise<void> {
  stopAllOnSignal();
  const dockerd = await startDockerd([]);
  const dir = mkdtempSync(join(tmpdir(), 'dc-cost-'));
  removedOnSignal(dir);
  const home = join(dir, 'home');
  const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_RUNTIME_DIR: '', DOCKER_HOST: '' };
  const serveSocket = join(dir, 'serve.sock');
  const pipeSocket = join(dir, 'pipe.sock');
  const targets: Record<string, Measured> = {};
  const start = (name: string, args: string[], socket: string) => {
    const child = spawn(process.execPath, ['--trace-gc-nvp', ...(name.startsWith('serve') ? SERVE_NODE_ARGS : []), ...args], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    const m: Measured = { child, socket, allocated: 0, copied: 0, gcs: 0, gcMs: 0 };
    watchGc(child, m);
    whileLive(async () => child.kill());
    targets[name] = m;
  };
  const serveArgs = (cli: string, socket: string) => [cli, 'serve', '--listen', socket, '--upstream', dockerd.host, '--config', join(dir, 'config.yaml'), '--log-format', 'json'];
  start('serve', serveArgs(CLI, serveSocket), serveSocket);
  // Another build of the CLI measured in the same interleaved run (before/after a change).
  if (COMPARE_CLI) start('serve (compared build)', serveArgs(COMPARE_CLI, join(dir, 'compared.sock')), join(dir, 'compared.sock'));
  start('node pipe', ['-e', RAW_PIPE, pipeSocket, dockerd.socket], pipeSocket);
  try {
    for (const m of Object.values(targets)) await waitForSocket(m.socket);
    const metrics = ['cpu', 'user', 'allocated', 'copied', 'gcMs', 'gcs', 'p50', 'p99'] as const;
    const results: Record<string, Record<(typeof metrics)[number], number[]>> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, m] of Object.entries(targets)) {
        await pings(m.socket, 2000);
        const cpu0 = cpuMs(m.child.pid!);
        const before = { ...m };
        const times = await pings(m.socket, PINGS);
        await sleep(100);
        const cpu1 = cpuMs(m.child.pid!);
        times.sort((a, b) => a - b);
        const r = (results[name] ??= Object.fromEntries(metrics.map((k) => [k, []])) as unknown as Record<(typeof metrics)[number], number[]>);
        r.cpu.push(((cpu1.user + cpu1.system - cpu0.user - cpu0.system) * 1000) / PINGS);
        r.user.push(((cpu1.user - cpu0.user) * 1000) / PINGS);
        r.allocated.push((m.allocated - before.allocated) / PINGS);
        r.copied.push((m.copied - before.copied) / PINGS);
        r.gcMs.push(((m.gcMs - before.gcMs) * 1000) / PINGS);
        r.gcs.push(m.gcs - before.gcs);
        r.p50.push(times[Math.floor(times.length / 2)]!);
        r.p99.push(times[Math.floor(times.length * 0.99)]!);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(`\nper keep-alive /_ping, medians of ${ROUNDS} rounds of ${PINGS} (one connection): CPU of the proxy process, bytes its JS heap allocated and its young-generation GCs copied, GC pauses, round trips`);
    console.log('| proxy | CPU µs/request | of it user | heap bytes allocated/request | bytes copied by GC/request | GC pause µs/request | GCs | p50 µs | p99 µs |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const [name, r] of Object.entries(results)) {
      const cells = [r.cpu, r.user].map((v) => median(v).toFixed(1)).concat([r.allocated, r.copied].map((v) => median(v).toFixed(0)), median(r.gcMs).toFixed(2), String(median(r.gcs)), [r.p50, r.p99].map((v) => median(v).toFixed(0)));
      console.log(`| ${name} | ${cells.join(' | ')} |`);
    }
  } finally {
    await Promise.all(Object.values(targets).map((m) => new Promise((resolve) => {
      m.child.once('exit', resolve);
      m.child.kill();
    })));
    rmSync(dir, { recursive: true, force: true });
    await dockerd.stop();
  }
}

void main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
