// The pull rewrite never deletes or renames an image the user did not pull through it, on
// the real dockerd and registries: a mirror that is the original itself, `docker pull -a`
// beside the user's own mirror-named tags, 20 parallel pulls of one image (also while the
// mirror's tag moves between two images), and a pull the client abandons (a registry that
// never answers keeps it in flight).
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, importBusyboxImage, publishImage } from '../harness/real-docker';
import { startServe, type Serve } from '../harness/serve';
import { until } from '../harness/wait';
import { startMovingTag } from '../harness/moving-tag';
import type { LogEntry } from '#shared/log';

let host: string;
let mirror: string;
const running: Serve[] = [];
const folders: string[] = [];

beforeAll(() => {
  host = inject('dockerHost');
  mirror = inject('mirror');
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});
afterAll(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

let seq = 0;
const unique = (base: string) => `${base}${process.pid}x${++seq}`;

async function serveWith(config: string): Promise<Serve> {
  const home = mkdtempSync(join(tmpdir(), 'dc-ours-'));
  folders.push(home);
  writeFileSync(join(home, 'config.yaml'), config);
  const s = await startServe({ upstream: host, home });
  running.push(s);
  return s;
}

const tagsOf = (repo: string) => docker(host, ['images', '--format', '{{.Tag}}', repo]).split('\n').filter(Boolean).sort();
const digestRefsOf = (repo: string) => docker(host, ['images', '--digests', '--format', '{{.Tag}} {{.Digest}}', repo]).split('\n').filter(Boolean);

/** Runs the docker CLI against serve without blocking this process; resolves with its exit code and output. */
function dockerAsync(s: Serve, args: string[]): { done: Promise<{ code: number | null; output: string }>; kill(): void } {
  const child = spawn('/usr/local/bin/docker', args, { env: { ...process.env, DOCKER_HOST: s.host } });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
  return {
    done: new Promise((resolve) => child.once('close', (code) => resolve({ code, output }))),
    kill: () => child.kill('SIGKILL'),
  };
}

describe('images that are not ours', () => {
  it('a mirror equal to the original pulls the image and keeps it (no retag onto itself, no untag)', async () => {
    const name = `${mirror}/${unique('self')}`;
    publishImage(host, `${name}:1`, 'self');
    const s = await serveWith(`version: 1\nrules:\n  - from: ${mirror}\n    to: [${mirror}, ${mirror}]\n`);
    const pulled = await dockerAsync(s, ['pull', `${name}:1`]).done;
    expect(pulled.code).toBe(0);
    expect(tagsOf(name)).toEqual(['1']);
    const entry = await s.waitForEntry((e: LogEntry) => e.route === 'pull' && !e.pending);
    expect(entry.rewrite).toMatchObject({ retag: [], untag: [] });
    expect(entry.rewrite!.candidates.map((c) => c.outcome)).toEqual(['ok']);
  });

  it('docker pull -a retags and untags only what it fetched: the user’s own and earlier mirror-named tags stay', async () => {
    const base = unique('all');
    const mirrorName = `${mirror}/library/${base}`;
    publishImage(host, `${mirrorName}:1`, 'one');
    publishImage(host, `${mirrorName}:2`, 'two');
    // The user's own unpushed tag under the mirror's name, and a mirror tag pulled earlier by hand.
    importBusyboxImage(host, `${mirrorName}:mine`, 'mine');
    docker(host, ['pull', `${mirrorName}:2`]);
    const s = await serveWith(`version: 1\nrules:\n  - from: docker.io/library\n    to: ${mirror}/library\n    fallback: false\n`);
    const pulled = await dockerAsync(s, ['pull', '--all-tags', base]).done;
    expect(pulled.code, pulled.output).toBe(0);
    expect(tagsOf(base)).toEqual(['1', '2']);
    expect(tagsOf(mirrorName)).toEqual(['2', 'mine']);
  });

  it('a pull of one tag leaves the mirror-named tag the user already had, beside the original name', async () => {
    const base = unique('had');
    const mirrorName = `${mirror}/library/${base}`;
    publishImage(host, `${mirrorName}:1`, 'had');
    docker(host, ['pull', `${mirrorName}:1`]);
    const s = await serveWith(`version: 1\nrules:\n  - from: docker.io/library\n    to: ${mirror}/library\n    fallback: false\n`);
    const pulled = await dockerAsync(s, ['pull', `${base}:1`]).done;
    expect(pulled.code, pulled.output).toBe(0);
    expect(tagsOf(base)).toEqual(['1']);
    expect(tagsOf(mirrorName)).toEqual(['1']);
    const entry = await s.waitForEntry((e: LogEntry) => e.route === 'pull' && !e.pending);
    expect(entry.rewrite).toMatchObject({ retag: [{ ref: `docker.io/library/${base}:1`, ok: true }], untag: [] });
    docker(host, ['rmi', `${base}:1`, `${mirrorName}:1`]);
  });

  it('20 parallel pulls of one image all succeed, end with the right tags and leave no mirror-named reference', async () => {
    const base = unique('par');
    const mirrorName = `${mirror}/library/${base}`;
    publishImage(host, `${mirrorName}:1`, 'parallel');
    const s = await serveWith(`version: 1\nrules:\n  - from: docker.io/library\n    to: ${mirror}/library\n    fallback: false\n`);
    const results = await Promise.all(Array.from({ length: 20 }, () => dockerAsync(s, ['pull', `${base}:1`]).done));
    expect(results.filter((r) => r.code !== 0).map((r) => r.output)).toEqual([]);
    expect(results.filter((r) => /No such image|failed:/.test(r.output)).map((r) => r.output)).toEqual([]);
    expect(tagsOf(base)).toEqual(['1']);
    expect(digestRefsOf(mirrorName)).toEqual([]);
    const finished = () => s.entries.filter((e) => e.route === 'pull' && !e.pending);
    await until('all 20 pulls to be logged', () => finished().length === 20);
    const entries = finished();
    expect(entries.every((e) => e.action === 'redirected' && e.rewrite!.retag.every((t) => t.ok) && e.rewrite!.untag.every((t) => t.ok))).toBe(true);
  });

  it('20 parallel pulls of one image while the mirror tag moves meanwhile leave the last pulled image tagged and no mirror-named <none> digest reference', async () => {
    const base = unique('move');
    const repo = `library/${base}`;
    // Two images in the mirror's repository; their ids as this engine names them, then gone from it.
    const imageIds = new Map<string, string>();
    for (const marker of ['a', 'b']) {
      const digest = publishImage(host, `${mirror}/${repo}:${marker}`, `moving ${marker}`);
      docker(host, ['pull', `${mirror}/${repo}@${digest}`]);
      imageIds.set(digest, docker(host, ['image', 'inspect', '--format', '{{.Id}}', `${mirror}/${repo}@${digest}`]).trim());
      docker(host, ['rmi', `${mirror}/${repo}@${digest}`]);
    }
    // The mirror as the engine sees it: `repo:1` moves to the other image each time it is resolved.
    const moving = await startMovingTag(mirror, repo, '1', ['a', 'b']);
    try {
      const mirrorName = `${moving.address}/${repo}`;
      const s = await serveWith(`version: 1\nrules:\n  - from: docker.io/library\n    to: ${moving.address}/library\n    fallback: false\n`);
      let logged = 0;
      for (let round = 1; round <= 5; round++) {
        const results = await Promise.all(Array.from({ length: 20 }, () => dockerAsync(s, ['pull', `${base}:1`]).done));
        expect(results.filter((r) => r.code !== 0).map((r) => r.output), `round ${round}`).toEqual([]);
        expect(results.filter((r) => /No such image|failed:/.test(r.output)).map((r) => r.output), `round ${round}`).toEqual([]);
        expect(new Set(moving.resolved).size, 'the tag moved between the two images').toBe(2);
        // The tag names the image the last resolution gave, and no mirror-named reference is left.
        expect(tagsOf(base), `round ${round}`).toEqual(['1']);
        const last = moving.resolved[moving.resolved.length - 1]!;
        expect(docker(host, ['image', 'inspect', '--format', '{{.Id}}', `${base}:1`]).trim(), `round ${round}`).toBe(imageIds.get(last));
        expect(digestRefsOf(mirrorName), `round ${round}`).toEqual([]);
        logged += 20;
        await until(`the ${logged} pulls to be logged`, () => s.entries.filter((e) => e.route === 'pull' && !e.pending).length === logged);
      }
      const entries = s.entries.filter((e) => e.route === 'pull');
      expect(entries.filter((e) => e.action !== 'redirected' || !e.rewrite!.retag.every((t) => t.ok) || !e.rewrite!.untag.every((t) => t.ok))).toEqual([]);
    } finally {
      await moving.stop();
    }
  });

  it('a redirected pull the client abandons is logged as failed, not passed', async () => {
    // A registry that accepts connections and never answers keeps the pull in flight.
    const held: Socket[] = [];
    const silent: Server = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(silent.address() as { port: number }).port}`;
    try {
      const s = await serveWith(`version: 1\nrules:\n  - from: docker.io/library\n    to: ${address}\n    fallback: false\n`);
      const pull = dockerAsync(s, ['pull', `${unique('gone')}:1`]);
      await until('the engine to reach the silent registry', () => held.length > 0, 60_000);
      pull.kill();
      await pull.done;
      const entry = await s.waitForEntry((e: LogEntry) => e.route === 'pull' && !e.pending, 60_000);
      expect(entry.action).toBe('failed');
      expect(entry.error).toBe('the client closed the connection during the pull');
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
