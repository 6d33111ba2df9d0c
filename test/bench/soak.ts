// `npm run soak -- --minutes N`: mixed traffic through `serve` against a private real dockerd
// and a local registry for N minutes (ping, lists, pulls through a rule, `docker run -i` with
// stdin, logs -f, events, save | load, bad requests, clients that vanish mid-body and
// mid-stream), then the serve process's RSS, heap, open FDs and active handles at the start,
// after warm-up and at the end, and a verdict: after warm-up FDs and handles flat, RSS growth
// at most 10%, no op with an unexpected answer, serve alive. `--only a,b` runs just the ops
// whose names contain a or b. Figures are taken at a quiet
// moment (traffic paused, in-flight ops done, garbage collected); each says where the memory
// is (V8's heap and young generation, external and array buffers, glibc's malloc arenas from
// /proc/PID/smaps), and a line a minute gives them under load. Not part of `npm test`.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DOCKER_CLIS, docker, importBusyboxImage, removeFolder, startDockerd, startRegistry } from '../harness/real-docker';
import { startServe, type Serve } from '../harness/serve';
import { removedOnSignal, stopAllOnSignal } from '../harness/stop-on-signal';
import { POOL_IDLE_MS } from '../../main/engine/upstream/engine-client';
import { freePort } from '../harness/free-port';

const RSS_GROWTH_LIMIT = 0.1;

// Loaded into serve with --require: answers 'measure' (after two full GCs) or 'peek' (as things
// are: a forced GC under load would change what it measures) over the IPC channel with
// process.memoryUsage() and V8's new-space size (the young generation grows under load).
const PROBE = `
process.on('message', (m) => {
  if (m !== 'measure' && m !== 'peek') return;
  if (m === 'measure') { global.gc(); global.gc(); }
  const mem = process.memoryUsage();
  const newSpace = require('v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  process.send({ ...mem, newSpace: newSpace ? newSpace.space_size : 0, resources: process.getActiveResourcesInfo() });
});`;

interface Probe { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number; newSpace: number; resources: string[] }
/** Where resident memory is, from /proc/PID/smaps: `mallocHeap` is glibc's main arena (the [heap] mapping), `threadArenas` its per-thread ones. */
interface Pages { pss: number; anonymous: number; mallocHeap: number; threadArenas: number }
type Figures = Omit<Probe, 'resources'> & Pages & { fds: number; fdKinds: Record<string, number>; handles: number; byType: Record<string, number> };

function parseMinutes(argv: string[]): number {
  const at = argv.indexOf('--minutes');
  const value = at >= 0 ? Number(argv[at + 1]) : 5;
  if (!(value > 0)) throw new Error('usage: npm run soak -- --minutes N (N > 0)');
  return value;
}

// ---- one HTTP exchange over the proxy's socket ----
interface Answer { status: number; body: Buffer }
function call(socket: string, method: string, path: string, body?: Buffer | string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, headers: body ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) })).on('error', reject);
    });
    req.setTimeout(120_000, () => req.destroy(new Error(`${method} ${path}: no answer in 120 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens a streaming response and drops the connection once `enough` says so (a client vanishing mid-stream). */
function vanishMidStream(socket: string, method: string, path: string, enough: (res: IncomingMessage, received: number) => boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path }, (res) => {
      let received = 0;
      const check = () => {
        if (enough(res, received)) {
          req.destroy();
          resolve(res.statusCode!);
        }
      };
      res.on('data', (c: Buffer) => {
        received += c.length;
        check();
      });
      res.on('error', () => undefined);
      check();
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path}: nothing streamed in 60 s`)));
    req.on('error', (err) => (req.destroyed && err.message.includes('socket hang up') ? undefined : reject(err)));
    req.end();
  });
}

/** Writes raw bytes; resolves with what came back before the proxy closed, or destroys the socket at once. */
function raw(socket: string, bytes: string, vanish: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ path: socket });
    let got = '';
    s.setTimeout(30_000, () => s.destroy(new Error('the proxy neither answered nor closed in 30 s')));
    s.on('data', (c: Buffer) => (got += c.toString('latin1')));
    s.on('close', () => resolve(got));
    s.on('error', (err) => (vanish ? resolve(got) : reject(err)));
    s.write(bytes, () => {
      if (vanish) s.destroy();
    });
  });
}

function runWithStdin(host: string, image: string, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(DOCKER_CLIS[0], ['run', '-i', '--rm', '--network', 'none', image, 'cat'], { env: { ...process.env, DOCKER_HOST: host } });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`docker run -i exited ${code}: ${err.trim()}`))));
    child.stdin.end(input);
  });
}

function expectStatus(what: string, answer: Answer, status: number): void {
  if (answer.status !== status) throw new Error(`${what}: ${answer.status} ${answer.body.toString('utf8', 0, 200)}`);
}

// ---- the traffic ----
interface Op { name: string; pauseMs: number; run(): Promise<void> }

/** `--node-args "--a --b"`: V8/Node options for serve (diagnosis, e.g. `--single-threaded`). */
function serveNodeArgs(): string[] {
  const at = process.argv.indexOf('--node-args');
  return at >= 0 ? (process.argv[at + 1] ?? '').split(' ').filter(Boolean) : [];
}

/** `--only a,b`: just the ops whose names contain one of these (to find which one leaks). */
function parseOnly(argv: string[]): string[] {
  const at = argv.indexOf('--only');
  return at >= 0 ? (argv[at + 1] ?? '').split(',').filter(Boolean) : [];
}

function operations(serve: Serve, box: string, ticker: string, only: string[]): Op[] {
  return allOperations(serve, box, ticker).filter((op) => only.length === 0 || only.some((o) => op.name.includes(o)));
}

function allOperations(serve: Serve, box: string, ticker: string): Op[] {
  const s = serve.socket;
  const stdin = 'x'.repeat(20_000) + '\n';
  return [
    { name: 'ping', pauseMs: 20, run: async () => expectStatus('ping', await call(s, 'GET', '/_ping'), 200) },
    { name: 'lists', pauseMs: 100, run: async () => {
      expectStatus('images/json', await call(s, 'GET', '/v1.41/images/json'), 200);
      expectStatus('containers/json', await call(s, 'GET', '/v1.41/containers/json?all=1'), 200);
    } },
    { name: 'pull through a rule', pauseMs: 300, run: async () => {
      const tag = Math.random() < 0.5 ? '1' : '2';
      const answer = await call(s, 'POST', `/v1.41/images/create?fromImage=soak&tag=${tag}`);
      expectStatus('pull', answer, 200);
      if (!answer.body.toString().includes('docker-caching: pulled')) throw new Error(`pull of soak:${tag} did not come from the mirror: ${answer.body.toString().slice(-300)}`);
    } },
    { name: 'run -i with stdin', pauseMs: 500, run: async () => {
      const out = await runWithStdin(serve.host, box, stdin);
      if (out !== stdin) throw new Error(`docker run -i gave ${out.length} bytes back of ${stdin.length}`);
    } },
    { name: 'logs -f, vanishing', pauseMs: 200, run: async () => {
      const status = await vanishMidStream(s, 'GET', `/v1.41/containers/${ticker}/logs?follow=1&stdout=1&tail=1`, (_res, n) => n > 0);
      if (status !== 200) throw new Error(`logs -f: ${status}`);
    } },
    { name: 'events, vanishing', pauseMs: 200, run: async () => {
      const status = await vanishMidStream(s, 'GET', '/v1.41/events', () => true);
      if (status !== 200) throw new Error(`events: ${status}`);
    } },
    { name: 'save then load', pauseMs: 500, run: async () => {
      const saved = await call(s, 'GET', `/v1.41/images/${box}/get`);
      expectStatus('save', saved, 200);
      expectStatus('load', await call(s, 'POST', '/v1.41/images/load?quiet=1', saved.body), 200);
    } },
    { name: 'bad requests', pauseMs: 100, run: async () => {
      const got = await raw(s, 'GARBAGE\r\n\r\n', false);
      if (!got.startsWith('HTTP/1.1 400')) throw new Error(`a malformed request got ${JSON.stringify(got.slice(0, 60))}`);
      await raw(s, 'GET /_ping HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', false);
    } },
    { name: 'vanish mid-body', pauseMs: 100, run: async () => {
      await raw(s, 'POST /v1.41/containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"Image":', true);
      await raw(s, `POST /v1.41/images/create?fromImage=soak&tag=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n${'a'.repeat(100)}`, true);
      await raw(s, `POST /v1.41/images/load HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-tar\r\nContent-Length: 100000\r\n\r\n${'\0'.repeat(2000)}`, true);
    } },
    { name: 'pull, vanishing mid-stream', pauseMs: 300, run: async () => {
      await vanishMidStream(s, 'POST', '/v1.41/images/create?fromImage=soak&tag=2', (_res, n) => n > 0);
    } },
  ];
}

class Traffic {
  readonly counts = new Map<string, { ok: number; failed: number; errors: string[] }>();
  private paused = true;
  private stopped = false;
  private inFlight = 0;
  private readonly loops: Promise<void>[] = [];

  constructor(ops: Op[], private readonly alive: () => void) {
    for (const op of ops) {
      this.counts.set(op.name, { ok: 0, failed: 0, errors: [] });
      this.loops.push(this.loop(op));
    }
  }

  private async loop(op: Op): Promise<void> {
    const count = this.counts.get(op.name)!;
    while (!this.stopped) {
      if (this.paused) {
        await sleep(50);
        continue;
      }
      this.inFlight++;
      try {
        await op.run();
        count.ok++;
      } catch (err) {
        count.failed++;
        if (count.errors.length < 3) count.errors.push((err as Error).message);
      } finally {
        this.inFlight--;
      }
      this.alive();
      await sleep(op.pauseMs);
    }
  }

  resume(): void {
    this.paused = false;
  }

  /** Stops starting ops and waits until none is in flight. */
  async pause(): Promise<void> {
    this.paused = true;
    while (this.inFlight > 0) await sleep(50);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }
}

// ---- measuring serve ----
function probe(serve: Serve, what: 'measure' | 'peek'): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('serve did not answer the probe in 10 s')), 10_000);
    serve.child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m as Probe);
    });
    serve.child.send(what);
  });
}

const fdCount = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

/** Open FDs by what they are: socket, pipe, anon_inode:[eventfd], or a file. */
function fdKinds(pid: number): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const kind = /^(socket|pipe):/.exec(target)?.[1] ?? (target.startsWith('anon_inode:') ? target : 'file');
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

/** One mapping of /proc/PID/smaps. */
interface Mapping { start: number; end: number; perms: string; name: string; rss: number }

function mappings(smaps: string): Mapping[] {
  const out: Mapping[] = [];
  for (const line of smaps.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) out.push({ start: parseInt(head[1]!, 16), end: parseInt(head[2]!, 16), perms: head[3]!, name: head[4]!, rss: 0 });
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && out.length > 0) out[out.length - 1]!.rss = Number(rss[1]) * 1024;
  }
  return out;
}

// glibc gives each thread that mallocs (V8's GC helpers, libuv's pool) an arena of its own: an
// anonymous heap reserved as 64 MiB aligned to 64 MiB, its used part read-write, the rest ---p.
const ARENA = 64 * 1024 * 1024;
function threadArenas(maps: Mapping[]): number {
  let rss = 0;
  maps.forEach((m, i) => {
    if (m.name !== '' || m.perms !== 'rw-p' || m.start % ARENA !== 0) return;
    const next = maps[i + 1];
    const reserved = next && next.start === m.end && next.name === '' && next.perms === '---p' ? next.end - m.start : m.end - m.start;
    if (reserved === ARENA) rss += m.rss;
  });
  return rss;
}

/** Pss and anonymous memory of the whole process, and the resident size of glibc's malloc arenas. */
function pages(pid: number): Pages {
  const kib = (text: string, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const maps = mappings(readFileSync(`/proc/${pid}/smaps`, 'utf8'));
  const mallocHeap = maps.filter((m) => m.name === '[heap]').reduce((n, m) => n + m.rss, 0);
  return { pss: kib(rollup, 'Pss'), anonymous: kib(rollup, 'Anonymous'), mallocHeap, threadArenas: threadArenas(maps) };
}

// V8 sizes its young generation from the allocation rate of the last 5 s: under load it grows
// to 32 MiB (2 x Node's 16 MiB semi-space), and a GC after 5 s without traffic shrinks it. A
// checkpoint taken sooner catches it at whatever size the load left, so RSS at two checkpoints
// differed by up to 30 MiB with nothing retained. Every checkpoint waits this long, so they
// compare like with like; the per-minute lines show the figures under load.
const QUIET_MS = 6_000;

/**
 * How long the FD count must hold still. Every 15 s serve checks the engine and the caches
 * (a few requests at once through its engine client), whose pooled connections close after
 * POOL_IDLE_MS idle: a count taken within that window of such a check counted them, which
 * failed two 30-minute soaks (22 -> 25 FDs) with nothing leaked.
 */
const FDS_STILL_MS = POOL_IDLE_MS + 1_000;

/** Figures at a quiet moment: the FD count has held still for FDS_STILL_MS (closed and idle pooled connections are gone), V8 saw no allocation for QUIET_MS, and GC ran. */
async function measure(serve: Serve): Promise<Figures> {
  const quietUntil = Date.now() + QUIET_MS;
  let fds = fdCount(serve.child.pid!);
  let stillSince = Date.now();
  const giveUpAt = Date.now() + 60_000;
  while (Date.now() - stillSince < FDS_STILL_MS && Date.now() < giveUpAt) {
    await sleep(250);
    const now = fdCount(serve.child.pid!);
    if (now !== fds) [fds, stillSince] = [now, Date.now()];
  }
  await sleep(Math.max(0, quietUntil - Date.now()));
  return snapshot(serve, 'measure');
}

/** The figures now: after GC ('measure'), or under load as they are ('peek', the per-minute lines). */
async function snapshot(serve: Serve, what: 'measure' | 'peek'): Promise<Figures> {
  const { resources, ...memory } = await probe(serve, what);
  const byType: Record<string, number> = {};
  for (const r of resources) byType[r] = (byType[r] ?? 0) + 1;
  return { ...memory, ...pages(serve.child.pid!), fds: fdCount(serve.child.pid!), fdKinds: fdKinds(serve.child.pid!), handles: resources.length, byType };
}

const memoryLine = (f: Figures) =>
  `RSS ${mib(f.rss)} (Pss ${mib(f.pss)}, anonymous ${mib(f.anonymous)}, malloc arenas: main ${mib(f.mallocHeap)}, threads ${mib(f.threadArenas)}), heap ${mib(f.heapUsed)} of ${mib(f.heapTotal)} (new space ${mib(f.newSpace)}), external ${mib(f.external)} (array buffers ${mib(f.arrayBuffers)}), FDs ${f.fds}, handles ${f.handles}`;

const counts = (by: Record<string, number>) => Object.entries(by).map(([k, v]) => `${k} ${v}`).join(', ');
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

function report(minutes: number, warmMinutes: number, start: Figures, warm: Figures, end: Figures, traffic: Traffic, servedAlive: boolean): boolean {
  const rows: [string, (f: Figures) => string][] = [
    ['RSS', (f) => mib(f.rss)], ['Pss', (f) => mib(f.pss)], ['anonymous', (f) => mib(f.anonymous)],
    ['malloc main arena ([heap])', (f) => mib(f.mallocHeap)], ['malloc thread arenas', (f) => mib(f.threadArenas)],
    ['heap used', (f) => mib(f.heapUsed)], ['heap total', (f) => mib(f.heapTotal)], ['new space', (f) => mib(f.newSpace)],
    ['external', (f) => mib(f.external)], ['array buffers', (f) => mib(f.arrayBuffers)],
    ['open FDs', (f) => `${f.fds} (${counts(f.fdKinds)})`], ['active handles', (f) => `${f.handles} (${counts(f.byType)})`],
  ];
  console.log(`\nsoak: ${minutes} min of mixed traffic through serve (warm-up ${warmMinutes} min)\n`);
  console.log('| figure | start | after warm-up | end |\n|---|---:|---:|---:|');
  for (const [name, show] of rows) console.log(`| ${name} | ${show(start)} | ${show(warm)} | ${show(end)} |`);
  console.log('\n| traffic | ok | unexpected |\n|---|---:|---:|');
  let unexpected = 0;
  for (const [name, c] of traffic.counts) {
    console.log(`| ${name} | ${c.ok} | ${c.failed} |`);
    unexpected += c.failed;
  }
  for (const [name, c] of traffic.counts) for (const e of c.errors) console.log(`  ${name}: ${e}`);
  const growth = (end.rss - warm.rss) / warm.rss;
  const checks: [string, boolean][] = [
    [`serve alive throughout`, servedAlive],
    [`open FDs flat after warm-up (${warm.fds} -> ${end.fds})`, end.fds <= warm.fds],
    [`active handles flat after warm-up (${warm.handles} -> ${end.handles})`, end.handles <= warm.handles],
    [`RSS growth after warm-up ${(growth * 100).toFixed(1)}% <= ${RSS_GROWTH_LIMIT * 100}%`, growth <= RSS_GROWTH_LIMIT],
    [`no op with an unexpected answer (${unexpected})`, unexpected === 0],
  ];
  console.log('');
  for (const [what, ok] of checks) console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  const pass = checks.every(([, ok]) => ok);
  console.log(`\nverdict: ${pass ? 'PASS' : 'FAIL'}`);
  return pass;
}

async function main(): Promise<void> {
  const minutes = parseMinutes(process.argv.slice(2));
  const warmMinutes = Math.min(5, Math.max(0.25, minutes * 0.2));
  // Everything this run makes lives in one folder, removed at the end.
  stopAllOnSignal();
  const root = mkdtempSync(join(tmpdir(), 'dc-soak-'));
  removedOnSignal(root);
  process.env.TMPDIR = root;
  const cleanups: (() => Promise<void> | void)[] = [() => removeFolder(root)];
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step();
      } catch (err) {
        console.error(`cleanup: ${(err as Error).message}`);
      }
    }
  };
  try {
    const registry = await startRegistry({ port: await freePort() });
    cleanups.push(() => registry.stop());
    const dockerd = await startDockerd([registry.address]);
    cleanups.push(() => dockerd.stop());
    for (const tag of ['1', '2']) {
      const ref = `${registry.address}/library/soak:${tag}`;
      importBusyboxImage(dockerd.host, ref, `soak ${tag}`);
      docker(dockerd.host, ['push', ref]);
      docker(dockerd.host, ['rmi', ref]);
    }
    const box = 'dc-soak/box:1';
    importBusyboxImage(dockerd.host, box);
    const ticker = docker(dockerd.host, ['run', '-d', '--network', 'none', box, 'sh', '-c', 'while true; do echo tick; sleep 1; done']).trim();
    cleanups.push(() => void docker(dockerd.host, ['rm', '-f', ticker]));

    const config = join(root, 'config.yaml');
    writeFileSync(config, `version: 1\nrules:\n  - from: docker.io\n    to: [${registry.address}]\n`);
    const probePath = join(root, 'probe.cjs');
    writeFileSync(probePath, PROBE);
    const serve = await startServe({ upstream: dockerd.host, config, quiet: true, nodeArgs: ['--expose-gc', '--require', probePath, ...serveNodeArgs()], ipc: true });
    cleanups.push(async () => void (await serve.stop()));
    let servedAlive = true;
    const alive = () => {
      if (serve.child.exitCode !== null || serve.child.signalCode !== null) servedAlive = false;
    };

    const start = await measure(serve);
    console.log(`soak: start ${memoryLine(start)}`);
    const traffic = new Traffic(operations(serve, box, ticker, parseOnly(process.argv.slice(2))), alive);
    console.log(`soak: warming up for ${warmMinutes} min`);
    traffic.resume();
    await sleep(warmMinutes * 60_000);
    await traffic.pause();
    alive();
    const warm = servedAlive ? await measure(serve) : start;
    console.log(`soak: after warm-up ${memoryLine(warm)}; running ${minutes - warmMinutes} min more`);
    traffic.resume();
    const endAt = Date.now() + (minutes - warmMinutes) * 60_000;
    while (Date.now() < endAt && servedAlive) {
      await sleep(Math.min(60_000, endAt - Date.now()));
      alive();
      if (!servedAlive) break;
      const so = [...traffic.counts.values()].reduce((n, c) => n + c.ok, 0);
      console.log(`soak: ${Math.round((endAt - Date.now()) / 60_000)} min left, ${so} ops done, ${memoryLine(await snapshot(serve, 'peek'))}`);
    }
    await traffic.pause();
    await traffic.stop();
    alive();
    const end = servedAlive ? await measure(serve) : warm;
    const pass = report(minutes, warmMinutes, start, warm, end, traffic, servedAlive);
    process.exitCode = pass ? 0 : 1;
  } finally {
    await cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(`soak failed: ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
});
