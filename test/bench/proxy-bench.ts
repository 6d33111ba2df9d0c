// `npm run bench`: the same workloads against the engine directly and through `serve`,
// interleaved round by round (latency in many short turns), printing percentiles, medians and
// ratios (target / direct).
// A benchmark, not a test: it asserts nothing and is not part of `npm test`.
import { connect, type Socket } from 'node:net';
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDockerd, docker, importBusyboxImage } from '../harness/real-docker';
import { startServe } from '../harness/serve';
import { removedOnSignal, stopAllOnSignal, whileLive } from '../harness/stop-on-signal';
import { cacheBench } from './cache-bench';
import { RAW_PIPE } from './references';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Rounds of the latency rows, each a short turn of every target: see `main`. */
const LATENCY_ROUNDS = Number(process.env.BENCH_LATENCY_ROUNDS ?? 10);
/** The dist/cli.js of another build, measured beside this one as "serve (compared build)". */
const COMPARE_CLI = process.env.BENCH_COMPARE_CLI;
/** `BENCH_ONLY=get,load`: only the workloads whose names contain one of these (and none of the one-off figures after the table). */
const ONLY = process.env.BENCH_ONLY?.split(',').filter(Boolean);

function hasSocat(): boolean {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

class KeepAliveClient {
  private buf: Buffer = Buffer.alloc(0);
  private waiting: ((b: Buffer) => void) | null = null;
  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.check();
    });
  }
  static open(path: string): Promise<KeepAliveClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ path }, () => resolve(new KeepAliveClient(s)));
      s.once('error', reject);
    });
  }
  private check() {
    if (!this.waiting) return;
    const end = this.buf.indexOf('\r\n\r\n');
    if (end === -1) return;
    const head = this.buf.toString('latin1', 0, end);
    const m = /content-length: (\d+)/i.exec(head);
    let total: number;
    if (m) total = end + 4 + Number(m[1]);
    else {
      const term = this.buf.indexOf('\r\n0\r\n\r\n', end);
      if (term === -1) return;
      total = term + 7;
    }
    if (this.buf.length < total) return;
    const res = this.buf.subarray(0, total);
    this.buf = this.buf.subarray(total);
    const w = this.waiting;
    this.waiting = null;
    w(res);
  }
  get(path: string): Promise<Buffer> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.write(`GET ${path} HTTP/1.1\r\nHost: docker\r\n\r\n`);
    });
  }
  close() {
    this.socket.destroy();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

/** µs of each of `n` requests on one keep-alive connection, after 50 untimed ones. */
async function latency(path: string, url: string, n: number): Promise<number[]> {
  const c = await KeepAliveClient.open(path);
  for (let i = 0; i < 50; i++) await c.get(url);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await c.get(url);
    times.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  c.close();
  return times;
}

async function throughput(path: string, conns: number, ms: number) {
  const clients = await Promise.all(Array.from({ length: conns }, () => KeepAliveClient.open(path)));
  let count = 0;
  const end = Date.now() + ms;
  await Promise.all(clients.map(async (c) => {
    while (Date.now() < end) {
      await c.get('/_ping');
      count++;
    }
  }));
  clients.forEach((c) => c.close());
  return (count / ms) * 1000;
}

function streamOut(path: string, image: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    let bytes = 0;
    request({ socketPath: path, path: `/v1.41/images/${image}/get` }, (res) => {
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => resolve(bytes / 1e6 / (Number(process.hrtime.bigint() - t) / 1e9)));
    }).on('error', reject).end();
  });
}

function streamIn(path: string, tarFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const size = statSync(tarFile).size;
    const t = process.hrtime.bigint();
    const req = request({ socketPath: path, method: 'POST', path: '/v1.41/images/load?quiet=1', headers: { 'Content-Type': 'application/x-tar', 'Content-Length': size } }, (res) => {
      res.resume();
      res.on('end', () => resolve(size / 1e6 / (Number(process.hrtime.bigint() - t) / 1e9)));
    });
    req.on('error', reject);
    createReadStream(tarFile).pipe(req);
  });
}

async function idleStreams(path: string, n: number, holdMs: number): Promise<{ open: number }> {
  const sockets: Socket[] = [];
  let closed = 0;
  for (let i = 0; i < n; i++) {
    const s = connect({ path });
    s.on('close', () => closed++);
    s.on('error', () => undefined);
    s.write('GET /v1.41/events HTTP/1.1\r\nHost: docker\r\n\r\n');
    s.resume();
    sockets.push(s);
  }
  await new Promise((r) => setTimeout(r, holdMs));
  const open = n - closed;
  sockets.forEach((s) => s.destroy());
  return { open };
}

function rssMiB(pid: number): number {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const pss = /Pss:\s+(\d+) kB/.exec(rollup);
  const rss = /Rss:\s+(\d+) kB/.exec(rollup);
  return Number((pss ?? rss)![1]) / 1024;
}

async function main() {
  stopAllOnSignal();
  const dockerd = await startDockerd([]);
  // serve as users run it (it prints pulls and failures), and printing a line for every request.
  const serve = await startServe({ upstream: dockerd.host, quiet: true, log: 'default' });
  const serveLogAll = await startServe({ upstream: dockerd.host, quiet: true, log: 'all' });
  const compared = COMPARE_CLI ? await startServe({ upstream: dockerd.host, quiet: true, cli: COMPARE_CLI, log: 'default' }) : null;
  // For scale: what a bare byte pipe costs on this machine (no parsing, no logging), in Node
  // and, when installed, socat. They bound what any proxy of this design can reach here.
  const refDir = mkdtempSync(join(tmpdir(), 'dc-bench-ref-'));
  removedOnSignal(refDir);
  const references = [
    spawn(process.execPath, ['-e', RAW_PIPE, join(refDir, 'node-pipe.sock'), dockerd.socket], { stdio: 'ignore' }),
    ...(hasSocat() ? [spawn('socat', [`UNIX-LISTEN:${join(refDir, 'socat.sock')},fork,backlog=512`, `UNIX-CONNECT:${dockerd.socket}`], { stdio: 'ignore' })] : []),
  ];
  for (const r of references) whileLive(async () => r.kill());
  if (references.length === 1) console.log('socat is not installed (apt-get install socat): the socat reference column is missing from this run');
  await new Promise((r) => setTimeout(r, 500));
  const targets: Record<string, string> = { direct: dockerd.socket, serve: serve.socket, 'serve --log all': serveLogAll.socket, 'node pipe': join(refDir, 'node-pipe.sock') };
  // Printing lines costs CPU per request, not per byte: the 100 MB streams skip that target.
  const perRequestOnly = new Set(['serve --log all']);
  if (references.length > 1) targets.socat = join(refDir, 'socat.sock');
  if (compared) targets['serve (compared build)'] = compared.socket;
  // A ~100 MB image for the stream workloads (and its 100 MB tar), removed at the end.
  const dir = mkdtempSync(join(tmpdir(), 'dc-bench-'));
  removedOnSignal(dir);
  try {
    mkdirSync(join(dir, 'rootfs/bin'), { recursive: true });
    cpSync('/bin/busybox', join(dir, 'rootfs/bin/busybox'));
    writeFileSync(join(dir, 'rootfs/blob'), execFileSync('head', ['-c', String(100 * 1024 * 1024), '/dev/urandom'], { maxBuffer: 200 << 20 }));
    execFileSync('sh', ['-c', `tar -C ${dir}/rootfs -c . | docker import - bench/big:1 >/dev/null`], { env: { ...process.env, DOCKER_HOST: dockerd.host } });
    execFileSync('sh', ['-c', `docker save bench/big:1 > ${dir}/big.tar`], { env: { ...process.env, DOCKER_HOST: dockerd.host } });
    importBusyboxImage(dockerd.host, 'bench/busybox:1');

    const wanted = (workload: string) => !ONLY || ONLY.some((part) => workload.includes(part));
    // The machine's speed moves from minute to minute (a quiet VM's wake-up cost most of all),
    // so the latency rows are taken in many short turns, every target in each round and the
    // order rotated, and their percentiles are of all the samples together: each target then
    // meets the same moments of the machine. They run before the 100 MB streams, which leave
    // the engine and the page cache busy for a while.
    const names = Object.keys(targets);
    const rotated = (round: number) => names.map((_, i) => names[(i + round) % names.length]!);
    const samples: Record<string, Record<string, number[]>> = Object.fromEntries(names.map((t) => [t, {}]));
    const sample = (target: string, metric: string, times: number[]) => (samples[target]![metric] ??= []).push(...times);
    // Untimed first: a fresh serve's first few thousand requests run while V8 still compiles its
    // hot paths (p99 twice the warm one's); the old per-round medians dropped that round.
    for (const name of names) {
      if (wanted('ping')) await latency(targets[name]!, '/_ping', 5000);
      if (wanted('images/json')) await latency(targets[name]!, '/v1.41/images/json', 500);
    }
    for (let round = 0; round < LATENCY_ROUNDS && (wanted('ping') || wanted('images/json')); round++) {
      for (const name of rotated(round)) {
        if (wanted('ping')) sample(name, 'ping', await latency(targets[name]!, '/_ping', 1000));
        if (wanted('images/json')) sample(name, 'images/json', await latency(targets[name]!, '/v1.41/images/json', 150));
      }
      process.stderr.write(`latency round ${round + 1}/${LATENCY_ROUNDS} done\n`);
    }
    const results: Record<string, Record<string, number[]>> = Object.fromEntries(names.map((t) => [t, {}]));
    const add = (target: string, metric: string, v: number) => (results[target]![metric] ??= []).push(v);
    for (const [name, byMetric] of Object.entries(samples)) {
      if (byMetric.ping) {
        add(name, 'ping p50 µs', pct(byMetric.ping, 0.5));
        add(name, 'ping p99 µs', pct(byMetric.ping, 0.99));
      }
      if (byMetric['images/json']) add(name, 'images/json p50 µs', pct(byMetric['images/json'], 0.5));
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of rotated(round)) {
        const path = targets[name]!;
        if (wanted('32-conn')) add(name, '32-conn req/s', await throughput(path, 32, 2000));
        if (perRequestOnly.has(name)) continue;
        if (wanted('images/get')) add(name, 'images/get MB/s', await streamOut(path, 'bench/big:1'));
        if (wanted('images/load')) add(name, 'images/load MB/s', await streamIn(path, join(dir, 'big.tar')));
      }
      process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
    }
    const others = names.filter((t) => t !== 'direct');
    console.log(`\nlatency: percentiles of ${LATENCY_ROUNDS} interleaved rounds together (1,000 pings and 150 image lists a target each round); ` +
      `throughput: medians of ${ROUNDS} rounds, the targets' order rotated; ratio = target / direct (latency: lower is better; throughput: higher is better)`);
    console.log(`| workload | direct | ${others.join(' | ')} |\n|---|---:|${others.map(() => '---:').join('|')}|`);
    for (const metric of Object.keys(results.direct!)) {
      const d = median(results.direct![metric]!);
      const cells = others.map((t) => {
        const values = results[t]![metric];
        if (!values) return '';
        const v = median(values);
        return `${v.toFixed(1)} (${(v / d).toFixed(2)}x)`;
      });
      console.log(`| ${metric} | ${d.toFixed(1)} | ${cells.join(' | ')} |`);
    }
    references.forEach((r) => r.kill());
    if (ONLY) return;
    // Streams are never buffered: the peak stays far below the 100 MB image moved each round.
    const peak = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${serve.child.pid}/status`, 'utf8'));
    console.log(`\nserve's peak RSS over all rounds (each moved a 100 MB image out and in): ${(Number(peak![1]) / 1024).toFixed(1)} MiB`);
    // A fresh serve, so its memory reflects the idle streams rather than the workloads before.
    const fresh = await startServe({ upstream: dockerd.host, quiet: true, log: 'default' });
    const before = rssMiB(fresh.child.pid!);
    const held = idleStreams(fresh.socket, 500, 3000);
    await new Promise((r) => setTimeout(r, 2500));
    const during = rssMiB(fresh.child.pid!);
    const { open } = await held;
    await fresh.stop();
    console.log(`\n500 idle /events streams through serve: ${open}/500 still open after 3 s; serve PSS ${during.toFixed(1)} MiB with them (${before.toFixed(1)} MiB before)`);
    const input = Array.from({ length: 2000 }, (_, i) => `line ${i} ${'x'.repeat(60)}`).join('\n') + '\n';
    const out = docker(serve.host, ['run', '-i', '--rm', '--network', 'none', 'bench/busybox:1', 'cat'], { input });
    console.log(`docker run -i through serve: output ${out === input ? 'intact' : 'CORRUPTED'} (${input.length} bytes)`);
    console.log(await cacheBench());
  } finally {
    references.forEach((r) => r.kill());
    await compared?.stop();
    await serveLogAll.stop();
    await serve.stop();
    await dockerd.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(refDir, { recursive: true, force: true });
  }
}

void main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
