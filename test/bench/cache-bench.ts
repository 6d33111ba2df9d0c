// The local cache's rows of `npm run bench`: a pull served by a warm cache against the same
// pull from a local registry directly, a cold pull through the cache against the direct
// pull from its upstream, and /_ping through serve with the cache on against it off; then
// where serve's part of warm and cold pulls through the cache goes, step by step, from the
// pulls' traces. A benchmark, not a test: it asserts nothing. Own dockerd, registries and
// serves, all stopped and their folders removed at the end.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, startDockerd, startRegistry } from '../harness/real-docker';
import { startServe, type Serve } from '../harness/serve';
import { removedOnSignal } from '../harness/stop-on-signal';
import type { LogEntry, PullStep } from '#shared/log';
import { cacheConfigText, registryImage } from '../harness/cache-fixture';
import { freePort } from '../harness/free-port';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const LAYER_MB = 32;

const PAUSE_MS = 500;
const pause = () => new Promise((r) => setTimeout(r, PAUSE_MS));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Pushes a fresh image of one random ~32 MB layer as `registry/library/name:1`. */
function publish(host: string, registry: string, name: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'dc-cache-bench-'));
  removedOnSignal(dir);
  try {
    mkdirSync(join(dir, 'bin'));
    cpSync('/bin/busybox', join(dir, 'bin/busybox'));
    writeFileSync(join(dir, 'blob'), execFileSync('head', ['-c', String(LAYER_MB << 20), '/dev/urandom'], { maxBuffer: 64 << 20 }));
    const ref = `${registry}/library/${name}:1`;
    execFileSync('sh', ['-c', `tar -C ${dir} -c . | docker import - ${ref} >/dev/null`], { env: { ...process.env, DOCKER_HOST: host } });
    docker(host, ['push', ref]);
    docker(host, ['rmi', ref]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Seconds a `docker pull` of `ref` takes, then removes what it pulled (by its pulled name). */
function timedPull(host: string, ref: string, as = ref): number {
  const start = process.hrtime.bigint();
  docker(host, ['pull', '-q', ref]);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  docker(host, ['rmi', as]);
  return seconds;
}

async function pingP50(socket: string, n = 2000): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const once = () => new Promise<void>((resolve, reject) => {
    request({ socketPath: socket, path: '/_ping', agent }, (res) => {
      res.resume();
      res.on('end', resolve);
    }).on('error', reject).end();
  });
  for (let i = 0; i < 200; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    await once();
    times.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  agent.destroy();
  return median(times);
}

/** Markdown rows for the bench report. */
export async function cacheBench(): Promise<string> {
  const dockerd = await startDockerd([]);
  const started: { stop(): Promise<unknown> }[] = [dockerd];
  const homes: string[] = [];
  const coldPulls: string[] = [];
  let steps: string;
  let serveGap: { warm: number[]; cold: number[] };
  const rows: Record<string, [number[], number[]]> = {
    'warm cache pull vs local registry (s)': [[], []],
    'cold pull via cache vs upstream direct (s)': [[], []],
    // Where the difference comes from: Distribution alone, pulled at its port without docker-caching.
    'warm pull from the cache port, no proxy, vs local registry (s)': [[], []],
    'cold pull from the cache port, no proxy, vs upstream direct (s)': [[], []],
    '/_ping p50 µs, cache on vs off': [[], []],
  };
  try {
    const upstream = await startRegistry({ port: await freePort() });
    const local = await startRegistry({ port: await freePort() });
    started.unshift(upstream, local);
    const port = await freePort();
    const image = registryImage(dockerd.host);
    const serveWith = async (enabled: boolean, quiet: boolean) => {
      const home = mkdtempSync(join(tmpdir(), 'dc-cache-bench-home-'));
      homes.push(home);
      removedOnSignal(home);
      writeFileSync(join(home, 'config.yaml'), cacheConfigText({ image, enabled, registries: { 'docker.io': { port, remote: `http://${upstream.address}` } } }));
      const s = await startServe({ upstream: dockerd.host, home, quiet, log: 'default' });
      started.unshift(s);
      return s;
    };
    // Pulls go through a serve whose log is read (for the steps); pings through quiet ones.
    const serve = await serveWith(true, false);
    const servePing = await serveWith(true, true);
    const serveOff = await serveWith(false, true);
    // Warm: the same image in the cache and in a plain local registry.
    publish(dockerd.host, upstream.address, 'warm');
    publish(dockerd.host, local.address, 'warm');
    timedPull(serve.host, 'warm:1');
    for (let round = 0; round < ROUNDS; round++) {
      // Each pair is timed in turn, the one timed first alternating from round to round, and
      // each pull after the same short pause: the first pull after other work (the pings, the
      // publishing) is the slower one, and serve's bookkeeping after a miss (the cache's size
      // read from the engine) ends within the pause instead of beside the next timed pull.
      const pair = async (row: string, through: () => number, without: () => number) => {
        const [first, second] = round % 2 === 0 ? [0, 1] : [1, 0];
        const runs = [through, without];
        const times: number[] = [];
        await pause();
        times[first] = runs[first]!();
        await pause();
        times[second] = runs[second]!();
        rows[row]![0].push(times[0]!);
        rows[row]![1].push(times[1]!);
      };
      await pair('warm cache pull vs local registry (s)', () => timedPull(serve.host, 'warm:1'), () => timedPull(dockerd.host, `${local.address}/library/warm:1`));
      await pair('warm pull from the cache port, no proxy, vs local registry (s)', () => timedPull(dockerd.host, `127.0.0.1:${port}/library/warm:1`), () => timedPull(dockerd.host, `${local.address}/library/warm:1`));
      // Cold: images of the same size, one new to the cache, one pulled from the upstream directly.
      publish(dockerd.host, upstream.address, `cold${round}`);
      publish(dockerd.host, upstream.address, `direct${round}`);
      await pair('cold pull via cache vs upstream direct (s)', () => timedPull(serve.host, `cold${round}:1`), () => timedPull(dockerd.host, `${upstream.address}/library/direct${round}:1`));
      coldPulls.push(`docker.io/library/cold${round}:1`);
      publish(dockerd.host, upstream.address, `bare${round}`);
      publish(dockerd.host, upstream.address, `baredirect${round}`);
      await pair('cold pull from the cache port, no proxy, vs upstream direct (s)', () => timedPull(dockerd.host, `127.0.0.1:${port}/library/bare${round}:1`), () => timedPull(dockerd.host, `${upstream.address}/library/baredirect${round}:1`));
      const pings = round % 2 === 0 ? [servePing, serveOff] : [serveOff, servePing];
      const p50s = new Map<Serve, number>();
      for (const s of pings) p50s.set(s, await pingP50(s.socket));
      rows['/_ping p50 µs, cache on vs off']![0].push(p50s.get(servePing)!);
      rows['/_ping p50 µs, cache on vs off']![1].push(p50s.get(serveOff)!);
      process.stderr.write(`cache round ${round + 1}/${ROUNDS} done\n`);
    }
    const warmPulls = await tracedPulls(serve, (e) => e.rewrite?.original === 'docker.io/library/warm:1' && e.rewrite.cache?.served?.kind === 'hit', ROUNDS);
    const cold = await tracedPulls(serve, (e) => coldPulls.includes(e.rewrite?.original ?? ''), coldPulls.length);
    steps = pullSteps(warmPulls, cold);
    serveGap = { warm: warmPulls.map(servePart), cold: cold.map(servePart) };
  } finally {
    // Serves first, then the registries, the engine last.
    for (const part of started) await part.stop();
    for (const dir of homes) rmSync(dir, { recursive: true, force: true });
  }
  const lines = [
    `\nlocal cache, medians of ${ROUNDS} rounds (${LAYER_MB} MB layer; ratio = through the cache / without it)`,
    '| workload | through the cache | without | ratio |',
    '|---|---:|---:|---:|',
  ];
  for (const [name, [withCache, without]] of Object.entries(rows)) {
    const a = median(withCache);
    const b = median(without);
    lines.push(`| ${name} | ${a.toFixed(3)} | ${b.toFixed(3)} | ${(a / b).toFixed(2)}x |`);
  }
  // What serve adds, seen from outside (through serve against the same pull at the cache's
  // port, same run) beside what its traces account for: a gap between them is time serve's
  // steps do not see (the proxy's own path, CPU it takes from the engine on a busy machine).
  const seen = (row: string, port: string) => (median(rows[row]![0]) - median(rows[port]![0])) * 1000;
  lines.push('', `serve's part of a pull, ms: seen from the docker CLI (through serve minus from the cache port) | in serve's traces (median)`);
  lines.push(`warm ${seen('warm cache pull vs local registry (s)', 'warm pull from the cache port, no proxy, vs local registry (s)').toFixed(0)} | ${serveGap.warm.length ? median(serveGap.warm).toFixed(1) : '-'}; ` +
    `cold ${seen('cold pull via cache vs upstream direct (s)', 'cold pull from the cache port, no proxy, vs upstream direct (s)').toFixed(0)} | ${serveGap.cold.length ? median(serveGap.cold).toFixed(1) : '-'}`);
  return lines.join('\n') + steps;
}

/** Steps in the order a pull through a cache takes them; those marked ran beside others. */
const STEPS: [PullStep['step'], string][] = [
  ['cache ready', 'cache ready'],
  ['cache counters read', 'cache counters read (beside)'],
  ['tags listed', 'mirror tag looked up (beside)'],
  ['engine asked', 'waited for both, engine asked'],
  ['upstream answered', 'upstream answered (beside the pull)'],
  ['engine answered', "engine's first byte"],
  ['pulled', "engine's pull streamed"],
  ['hit or miss told', 'hit or miss told (beside the retag)'],
  ['tagged', 'tagged'],
  ['untagged', 'untagged'],
  ['answered', 'waited for hit or miss and upstream, answered'],
];

/** The finished pulls through serve that `wanted` picks, once `count` of them are in its log. */
async function tracedPulls(serve: Serve, wanted: (e: LogEntry) => boolean, count: number): Promise<LogEntry[]> {
  const traced = (e: LogEntry) => e.route === 'pull' && !e.pending && !!e.rewrite?.steps && wanted(e);
  // The log is read between the synchronous pulls: give it a moment to arrive.
  for (let i = 0; i < 100 && serve.entries.filter(traced).length < count; i++) await new Promise((r) => setTimeout(r, 50));
  return serve.entries.filter(traced);
}

const at = (pull: LogEntry, step: PullStep['step']) => pull.rewrite?.steps?.find((s) => s.step === step)?.atMs;

/** Serve's own part of a pull: its whole time in serve but the engine's pull (from asked to pulled). */
function servePart(pull: LogEntry): number {
  return pull.durationMs - ((at(pull, 'pulled') ?? 0) - (at(pull, 'engine asked') ?? 0));
}

/** A table of the median ms each step took, for warm (hits) and cold (misses) pulls through serve. */
function pullSteps(warm: LogEntry[], cold: LogEntry[]): string {
  const took = (pulls: LogEntry[], step: PullStep['step']) => {
    const ms = pulls.flatMap((p) => p.rewrite?.steps?.filter((s) => s.step === step).map((s) => s.ms) ?? []);
    return ms.length ? median(ms).toFixed(1) : '-';
  };
  const of = (pulls: LogEntry[], f: (p: LogEntry) => number | undefined) => {
    const values = pulls.map(f).filter((v): v is number => v !== undefined);
    return values.length ? median(values).toFixed(1) : '-';
  };
  const lines = [
    `\n\nwhere a pull through serve and the cache spends its time, median ms (${warm.length} warm pulls, all hits; ${cold.length} cold, all misses)`,
    '| step | warm | cold |',
    '|---|---:|---:|',
    ...STEPS.map(([step, label]) => `| ${label} | ${took(warm, step)} | ${took(cold, step)} |`),
    `| **before the engine was asked** | ${of(warm, (p) => at(p, 'engine asked'))} | ${of(cold, (p) => at(p, 'engine asked'))} |`,
    `| **the engine's pull** (asked to pulled) | ${of(warm, (p) => (at(p, 'pulled') ?? 0) - (at(p, 'engine asked') ?? 0))} | ${of(cold, (p) => (at(p, 'pulled') ?? 0) - (at(p, 'engine asked') ?? 0))} |`,
    `| **after the pull** (pulled to answered) | ${of(warm, (p) => (at(p, 'answered') ?? 0) - (at(p, 'pulled') ?? 0))} | ${of(cold, (p) => (at(p, 'answered') ?? 0) - (at(p, 'pulled') ?? 0))} |`,
    `| **outside the trace** (request read and planned, response ended) | ${of(warm, (p) => p.durationMs - (at(p, 'answered') ?? 0))} | ${of(cold, (p) => p.durationMs - (at(p, 'answered') ?? 0))} |`,
    `| **serve's own part** (all but the engine's pull) | ${of(warm, servePart)} | ${of(cold, servePart)} |`,
  ];
  return lines.join('\n');
}
