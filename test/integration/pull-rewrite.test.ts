// The pull rewrite against the real dockerd and real registries: redirect, re-tag, fallback,
// block, digests, all tags, hot reload and mirror credentials, through the docker CLIs
// (28 and 20.10), docker-py, docker-compose v1 and dockerode.
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { startEngine } from '../../main/engine/start';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { DOCKER_CLIS, docker, importBusyboxImage } from '../harness/real-docker';
import { CLI, startServe, type Serve } from '../harness/serve';
import { until } from '../harness/wait';
import type { LogEntry } from '#shared/log';
import { formatLogLine } from '../../main/cli/log-line';

let host: string;
let mirror: string;
let origin: string;
let authMirror: string;
const running: Serve[] = [];

beforeAll(() => {
  host = inject('dockerHost');
  mirror = inject('mirror');
  origin = inject('origin');
  authMirror = inject('authMirror');
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

let seq = 0;
const unique = (base: string) => `${base}${process.pid}x${++seq}`;

/** Publishes a small image with content `marker` at `ref` (e.g. 127.0.0.1:5000/library/ubuntu:18.04). */
function publish(ref: string, marker: string, login?: { user: string; password: string }): string {
  importBusyboxImage(host, ref, marker);
  const env = login ? { DOCKER_CONFIG: dockerConfig({ [ref.split('/')[0]!]: login }) } : undefined;
  const out = docker(host, ['push', ref], { env });
  docker(host, ['rmi', ref]);
  return /digest: (sha256:[0-9a-f]{64})/.exec(out)![1]!;
}

function dockerConfig(auths: Record<string, { user: string; password: string }>, dir = mkdtempSync(join(tmpdir(), 'dc-dockercfg-'))): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    auths: Object.fromEntries(Object.entries(auths).map(([h, a]) => [h, { auth: Buffer.from(`${a.user}:${a.password}`).toString('base64') }])),
  }));
  return dir;
}

async function serveWith(config: string, opts: { home?: string } = {}): Promise<Serve> {
  const dir = opts.home ?? mkdtempSync(join(tmpdir(), 'dc-rw-'));
  writeFileSync(join(dir, 'config.yaml'), config);
  const s = await startServe({ upstream: host, home: dir });
  running.push(s);
  return s;
}

const images = () => docker(host, ['images', '--format', '{{.Repository}}:{{.Tag}}']).split('\n').filter(Boolean);
const marker = (s: Serve, ref: string) => docker(s.host, ['run', '--rm', '--network', 'none', ref, 'cat', '/marker']).trim();
const pullEntry = (s: Serve, image: string) => s.waitForEntry((e: LogEntry) => e.route === 'pull' && !e.pending && (e.image ?? '').includes(image));

describe('redirecting Docker Hub pulls to a mirror', () => {
  it.each(DOCKER_CLIS)('docker pull ubuntu:18.04 with %s comes from the mirror and ends up as ubuntu:18.04', async (cli) => {
    const name = unique('ubuntu');
    publish(`${mirror}/${name}:18.04`, `mirror:${name}`);
    const s = await serveWith(`version: 1\nrules:\n  - from: docker.io/library\n    to: ${mirror}\n    fallback: false\n`);
    const out = docker(s.host, ['pull', `${name}:18.04`], { cli });
    expect(out).toContain(`docker-caching: pulled docker.io/library/${name}:18.04 from ${mirror}/${name}:18.04`);
    expect(images()).toContain(`${name}:18.04`);
    expect(images()).not.toContain(`${mirror}/${name}:18.04`);
    expect(marker(s, `${name}:18.04`)).toBe(`mirror:${name}`);
    const entry = await pullEntry(s, name);
    expect(entry.action).toBe('redirected');
    expect(entry.rewrite).toMatchObject({
      original: `docker.io/library/${name}:18.04`, source: `${mirror}/${name}:18.04`, rule: { index: 0, from: 'docker.io/library' },
      retag: [{ ref: `docker.io/library/${name}:18.04`, ok: true }], untag: [{ ref: `${mirror}/${name}:18.04`, ok: true }],
    });
    expect(entry.rewrite!.candidates).toEqual([expect.objectContaining({ ref: `${mirror}/${name}:18.04`, kind: 'mirror', outcome: 'ok' })]);
    // What the text log line says about it (serve prints the same entry in --log-format text).
    expect(formatLogLine(entry, 'text')).toContain(`redirected docker.io/library/${name}:18.04 -> ${mirror}/${name}:18.04 by rule docker.io/library retag docker.io/library/${name}:18.04 untag ${mirror}/${name}:18.04`);
  });

  it('docker run of an image that is not local pulls it from the mirror and runs it', async () => {
    const name = unique('runme');
    publish(`${mirror}/library/${name}:1`, `run:${name}`);
    const s = await serveWith(`version: 1\nrules:\n  - from: docker.io\n    to: [${mirror}]\n`);
    const out = spawnSync('docker', ['run', '--rm', '--network', 'none', `${name}:1`, 'cat', '/marker'], { env: { ...process.env, DOCKER_HOST: s.host }, encoding: 'utf8' });
    expect(out.status).toBe(0);
    expect(out.stderr).toContain(`Unable to find image '${name}:1' locally`);
    expect(out.stdout.trim()).toBe(`run:${name}`);
    expect(images()).toContain(`${name}:1`);
  });

  it('docker-py and dockerode pulls are redirected too', async () => {
    const name = unique('sdk');
    publish(`${mirror}/library/${name}:py`, 'py');
    publish(`${mirror}/library/${name}:node`, 'node');
    const s = await serveWith(`version: 1\nrules:\n  - from: docker.io\n    to: [${mirror}]\n`);
    execFileSync('python3', ['-c', `import docker; docker.from_env().images.pull('${name}', tag='py')`], { env: { ...process.env, DOCKER_HOST: s.host } });
    const client = new Docker({ socketPath: s.socket });
    const stream = await client.pull(`${name}:node`);
    await new Promise((resolve, reject) => client.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve(null))));
    expect(images()).toEqual(expect.arrayContaining([`${name}:py`, `${name}:node`]));
    expect(marker(s, `${name}:node`)).toBe('node');
  });

  it('docker-compose v1 pull and up use the mirror', async () => {
    const name = unique('compose');
    publish(`${mirror}/library/${name}:1`, `compose:${name}`);
    const s = await serveWith(`version: 1\nrules:\n  - from: docker.io/library\n    to: ${mirror}/library\n`);
    const dir = mkdtempSync(join(tmpdir(), 'dc-compose-'));
    writeFileSync(join(dir, 'docker-compose.yml'), `version: "2.4"\nservices:\n  app:\n    image: ${name}:1\n    network_mode: none\n    command: ["cat", "/marker"]\n`);
    const env = { ...process.env, DOCKER_HOST: s.host };
    execFileSync('docker-compose', ['-p', name, 'pull'], { cwd: dir, env, stdio: 'pipe' });
    const up = execFileSync('docker-compose', ['-p', name, 'up', '--no-color'], { cwd: dir, env, encoding: 'utf8' });
    expect(up).toContain(`compose:${name}`);
    execFileSync('docker-compose', ['-p', name, 'down'], { cwd: dir, env, stdio: 'pipe' });
  });
});

describe('other registries, fallback and block', () => {
  it('redirects a non-Hub registry to a mirror path', async () => {
    const name = unique('team/app');
    publish(`${mirror}/origin-cache/${name}:1`, 'from-cache');
    const s = await serveWith(`version: 1\nrules:\n  - from: ${origin}\n    to: ${mirror}/origin-cache\n`);
    docker(s.host, ['pull', `${origin}/${name}:1`]);
    expect(images()).toContain(`${origin}/${name}:1`);
    expect(marker(s, `${origin}/${name}:1`)).toBe('from-cache');
  });

  it('falls back to the original registry when the mirror is down, saying why', async () => {
    const name = unique('fb');
    publish(`${origin}/${name}:1`, 'from-origin');
    const s = await serveWith(`version: 1\nrules:\n  - from: ${origin}\n    to: [127.0.0.1:9, ${mirror}]\n`);
    const out = docker(s.host, ['pull', `${origin}/${name}:1`]);
    expect(out).toMatch(/docker-caching: 127\.0\.0\.1:9\/.* failed: .*(connection refused|dial)/);
    expect(out).toContain(`docker-caching: pulled ${origin}/${name}:1 from ${origin}/${name}:1`);
    expect(marker(s, `${origin}/${name}:1`)).toBe('from-origin');
    const entry = await pullEntry(s, name);
    expect(entry.action).toBe('fell back');
    expect(entry.rewrite!.candidates.map((c) => c.outcome)).toEqual(['failed', 'failed', 'ok']);
  });

  it('with fallback off, fails with a Docker-style error naming the rule and each failure', async () => {
    const name = unique('nofb');
    publish(`${origin}/${name}:1`, 'origin');
    const s = await serveWith(`version: 1\nrules:\n  - from: ${origin}\n    to: 127.0.0.1:9\n    fallback: false\n    name: strict mirror\n`);
    const res = spawnSync('docker', ['pull', `${origin}/${name}:1`], { env: { ...process.env, DOCKER_HOST: s.host }, encoding: 'utf8' });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain(`docker-caching could not pull ${origin}/${name}:1 (Rule "strict mirror" (from ${origin}))`);
    expect(res.stderr).toContain(`127.0.0.1:9/${name}:1`);
    expect(res.stderr).toContain('fallback to the original registry is off');
    expect(images()).not.toContain(`${origin}/${name}:1`);
    expect((await pullEntry(s, name)).action).toBe('failed');
  });

  it('a block rule answers 403 with its message and pulls nothing', async () => {
    const name = unique('blocked');
    publish(`${origin}/${name}:1`, 'origin');
    const s = await serveWith(`version: 1\nrules:\n  - from: ${origin}\n    block: "pulls from the origin registry are not allowed here"\n`);
    const res = spawnSync('docker', ['pull', `${origin}/${name}:1`], { env: { ...process.env, DOCKER_HOST: s.host }, encoding: 'utf8' });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain('pulls from the origin registry are not allowed here');
    expect(images()).not.toContain(`${origin}/${name}:1`);
    const entry = await pullEntry(s, name);
    expect(entry).toMatchObject({ status: 403, action: 'blocked' });
  });

  it('enabled: false, or a disabled rule, passes pulls through untouched', async () => {
    const name = unique('off');
    publish(`${origin}/${name}:1`, 'origin');
    publish(`${mirror}/${name}:1`, 'mirror');
    for (const config of [
      `version: 1\nenabled: false\nrules:\n  - from: ${origin}\n    to: ${mirror}\n`,
      `version: 1\nrules:\n  - from: ${origin}\n    to: ${mirror}\n    enabled: false\n`,
    ]) {
      const s = await serveWith(config);
      docker(s.host, ['pull', `${origin}/${name}:1`]);
      expect(marker(s, `${origin}/${name}:1`)).toBe('origin');
      expect((await pullEntry(s, name)).action).toBe('passed');
      docker(host, ['rmi', `${origin}/${name}:1`]);
    }
  });
});

describe('tags and digests', () => {
  it('keepMirrorTag keeps the mirror-named tag beside the original', async () => {
    const name = unique('keep');
    publish(`${mirror}/${name}:1`, 'keep');
    const s = await serveWith(`version: 1\nrules:\n  - from: ${origin}\n    to: ${mirror}\n    keepMirrorTag: true\n`);
    docker(s.host, ['pull', `${origin}/${name}:1`]);
    expect(images()).toEqual(expect.arrayContaining([`${origin}/${name}:1`, `${mirror}/${name}:1`]));
  });

  it('an all-tags pull re-tags every tag that came down', async () => {
    const name = unique('alltags');
    publish(`${mirror}/${name}:a`, 'a');
    publish(`${mirror}/${name}:b`, 'b');
    const s = await serveWith(`version: 1\nrules:\n  - from: ${origin}\n    to: ${mirror}\n`);
    docker(s.host, ['pull', '--all-tags', `${origin}/${name}`]);
    expect(images()).toEqual(expect.arrayContaining([`${origin}/${name}:a`, `${origin}/${name}:b`]));
    expect(images().filter((i) => i.startsWith(`${mirror}/${name}`))).toEqual([]);
    expect(marker(s, `${origin}/${name}:b`)).toBe('b');
  });

  it('a digest pull is redirected, and run and inspect by that digest then work', async () => {
    const name = unique('digest');
    const digest = publish(`${mirror}/${name}:1`, 'by-digest');
    const s = await serveWith(`version: 1\nrules:\n  - from: ${origin}\n    to: ${mirror}\n    fallback: false\n`);
    const ref = `${origin}/${name}@${digest}`;
    docker(s.host, ['pull', ref]);
    expect(docker(s.host, ['image', 'inspect', '--format', '{{index .RepoDigests 0}}', ref]).trim()).toBe(`${mirror}/${name}@${digest}`);
    expect(marker(s, ref)).toBe('by-digest');
    const entry = await s.waitForEntry((e) => e.route === 'create container' && e.rewrite?.mappedTo !== undefined);
    expect(entry.rewrite!.mappedTo).toBe(`${mirror}/${name}@${digest}`);
  });

  it('digestOnly rules leave tag pulls to the original registry', async () => {
    const name = unique('donly');
    publish(`${origin}/${name}:1`, 'origin');
    publish(`${mirror}/${name}:1`, 'mirror');
    const s = await serveWith(`version: 1\nrules:\n  - from: ${origin}\n    to: ${mirror}\n    digestOnly: true\n`);
    docker(s.host, ['pull', `${origin}/${name}:1`]);
    expect(marker(s, `${origin}/${name}:1`)).toBe('origin');
  });
});

describe('config changes while serving', () => {
  it('a valid edit applies to the next pull without a restart; an invalid edit keeps the last good rules', async () => {
    const name = unique('reload');
    publish(`${origin}/${name}:1`, 'origin');
    publish(`${mirror}/${name}:1`, 'mirror');
    const s = await serveWith('version: 1\nrules: []\n');
    const file = join(s.home, 'config.yaml');
    writeFileSync(file, `version: 1\nrules:\n  - from: ${origin}\n    to: ${mirror}\n`);
    await until('the edit to be reloaded', () => s.stderr().includes('reloaded'));
    docker(s.host, ['pull', `${origin}/${name}:1`]);
    expect(marker(s, `${origin}/${name}:1`)).toBe('mirror');
    docker(host, ['rmi', `${origin}/${name}:1`]);

    writeFileSync(file, `version: 1\nrules:\n  - from: ${origin}\n    to: 42\n`);
    await until('the invalid edit to be reported', () => /config\.yaml:4: rules\.0\.to/.test(s.stderr()));
    docker(s.host, ['pull', `${origin}/${name}:1`]);
    expect(marker(s, `${origin}/${name}:1`)).toBe('mirror');
    expect(readFileSync(file, 'utf8')).toContain('to: 42');
  });
});

describe('mirror credentials', () => {
  const login = () => ({ user: inject('authMirrorUser'), password: inject('authMirrorPassword') });

  it('uses the user\'s own docker credentials for the mirror, never the client\'s for the original', async () => {
    const name = unique('private');
    publish(`${authMirror}/${name}:1`, 'private', login());
    const config = `version: 1\nrules:\n  - from: ${origin}\n    to: ${authMirror}\n    fallback: false\n`;

    // The client sends (working) credentials, but for the ORIGINAL registry: they must not reach the mirror.
    const withoutServeCreds = await serveWith(config);
    const clientCfg = dockerConfig({ [origin]: login() });
    const denied = spawnSync('docker', ['pull', `${origin}/${name}:1`], { env: { ...process.env, DOCKER_HOST: withoutServeCreds.host, DOCKER_CONFIG: clientCfg }, encoding: 'utf8' });
    expect(denied.status).not.toBe(0);
    expect(denied.stderr).toMatch(/unauthorized|authentication required|no basic auth/i);

    // serve's user has logged in to the mirror: the pull works.
    const home = mkdtempSync(join(tmpdir(), 'dc-rw-'));
    dockerConfig({ [authMirror]: login() }, join(home, '.docker'));
    const withCreds = await serveWith(config, { home });
    docker(withCreds.host, ['pull', `${origin}/${name}:1`]);
    expect(marker(withCreds, `${origin}/${name}:1`)).toBe('private');
    for (const s of [withoutServeCreds, withCreds]) {
      const all = s.stdout() + s.stderr();
      expect(all).not.toContain(login().password);
      expect(all).not.toContain(Buffer.from(`${login().user}:${login().password}`).toString('base64'));
    }
  });
});

describe('parameters of a redirected pull', () => {
  it('keeps platform and every other parameter, and records the request line the engine got', async () => {
    const name = unique('plat');
    publish(`${mirror}/${name}:1`, 'platform');
    const home = mkdtempSync(join(tmpdir(), 'dc-rw-'));
    writeFileSync(join(home, 'config.yaml'), `version: 1\nrules:\n  - from: ${origin}\n    to: ${mirror}\n`);
    // In this process, to read the entry's details; docker runs asynchronously so the proxy can answer.
    const engine = await startEngine({ configPath: join(home, 'config.yaml'), listen: join(home, 'd.sock'), upstream: host, env: {}, home });
    try {
      await promisify(execFile)('docker', ['pull', '--platform', 'linux/amd64', `${origin}/${name}:1`], { env: { ...process.env, DOCKER_HOST: `unix://${join(home, 'd.sock')}` } });
      const pull = engine.logs.snapshot().find((e) => e.route === 'pull' && !e.pending);
      expect(pull?.action).toBe('redirected');
      const detail = engine.logs.detail(pull!.seq)!;
      expect(detail.path).toContain('platform=linux%2Famd64');
      expect(new URLSearchParams(detail.forwardedPath!.split('?')[1]).get('platform')).toBe('linux/amd64');
      expect(new URLSearchParams(detail.forwardedPath!.split('?')[1]).get('fromImage')).toBe(`${mirror}/${name}`);
    } finally {
      await engine.stop();
    }
  });
});

describe('mirror credentials from a credential helper', () => {
  it('asks docker-credential-<helper> named in credHelpers for the mirror host', async () => {
    const user = inject('authMirrorUser');
    const password = inject('authMirrorPassword');
    const name = unique('helper');
    publish(`${authMirror}/${name}:1`, 'via-helper', { user, password });
    const home = mkdtempSync(join(tmpdir(), 'dc-rw-'));
    const bin = join(home, 'bin');
    mkdirSync(bin);
    // A real helper program speaking the docker-credential protocol: host on stdin, JSON out.
    writeFileSync(join(bin, 'docker-credential-dctest'), `#!/bin/sh\nread host\n[ "$1" = get ] && [ "$host" = "${authMirror}" ] && printf '{"ServerURL":"%s","Username":"${user}","Secret":"${password}"}' "$host" && exit 0\necho "credentials not found" >&2; exit 1\n`, { mode: 0o755 });
    mkdirSync(join(home, '.docker'));
    writeFileSync(join(home, '.docker/config.json'), JSON.stringify({ credHelpers: { [authMirror]: 'dctest' } }));
    writeFileSync(join(home, 'config.yaml'), `version: 1\nrules:\n  - from: ${origin}\n    to: ${authMirror}\n    fallback: false\n`);
    const s = await startServe({ upstream: host, home, env: { PATH: `${bin}:${process.env.PATH}` } });
    running.push(s);
    docker(s.host, ['pull', `${origin}/${name}:1`]);
    expect(marker(s, `${origin}/${name}:1`)).toBe('via-helper');
    expect(s.stdout() + s.stderr()).not.toContain(password);
  });
});

describe('what serve prints', () => {
  it('by default the pulls and what failed, never the requests that just passed; with --log all every request', async () => {
    const name = unique('printed');
    publish(`${mirror}/library/${name}:1`, 'printed');
    const config = `version: 1\nrules:\n  - from: docker.io\n    to: [${mirror}]\n`;
    const home = (text: string) => {
      const dir = mkdtempSync(join(tmpdir(), 'dc-rw-'));
      writeFileSync(join(dir, 'config.yaml'), text);
      return dir;
    };
    const quiet = await startServe({ upstream: host, home: home(config), log: 'default' });
    const every = await startServe({ upstream: host, home: home(config), log: 'all' });
    running.push(quiet, every);
    for (const s of [quiet, every]) {
      docker(s.host, ['ps']);
      expect(spawnSync('docker', ['image', 'inspect', 'no-such-image-here:0'], { env: { ...process.env, DOCKER_HOST: s.host } }).status).toBe(1);
      docker(s.host, ['pull', `${name}:1`]);
      docker(s.host, ['rmi', `${name}:1`]);
      await pullEntry(s, name);
    }
    // Lines come out in order: the pull's line came after those of the requests before it.
    expect(quiet.entries.map((e) => e.route)).toEqual(['pull']);
    expect(quiet.entries[0]).toMatchObject({ action: 'redirected', status: 200 });
    const paths = every.entries.map((e) => `${e.method} ${e.path.replace(/^\/v[\d.]+/, '')} ${e.status}`);
    expect(paths).toEqual(expect.arrayContaining(['HEAD /_ping 200', 'GET /containers/json 200', 'GET /images/no-such-image-here:0/json 404']));
    expect(every.entries.filter((e) => e.route === 'pull')).toHaveLength(1);
  });

  it('by default prints a request the engine could not answer, naming the engine', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-rw-'));
    writeFileSync(join(dir, 'config.yaml'), 'version: 1\n');
    const s = await startServe({ upstream: `unix://${join(dir, 'no-engine.sock')}`, home: dir, log: 'default' });
    running.push(s);
    expect(spawnSync('docker', ['ps'], { env: { ...process.env, DOCKER_HOST: s.host } }).status).not.toBe(0);
    const failed = await s.waitForEntry((e) => e.status === 502);
    expect(failed.error).toContain(`cannot reach the Docker engine at unix://${join(dir, 'no-engine.sock')}`);
  });

  it('refuses a --log it does not know, naming the choices', () => {
    const out = spawnSync(process.execPath, [CLI, 'serve', '--log', 'some'], { encoding: 'utf8' });
    expect(out.status).toBe(1);
    expect(out.stderr).toContain('--log must be actions or all, not "some"');
  });
});
