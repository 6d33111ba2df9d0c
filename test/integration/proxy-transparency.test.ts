// Every docker command behaves through `serve` exactly as against the engine: both docker
// CLIs (28 and Debian's 20.10) and dockerode, against the real dockerd.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { DOCKER_CLIS, docker, importBusyboxImage } from '../harness/real-docker';
import { startServe, type Serve } from '../harness/serve';
import { until } from '../harness/wait';

let serve: Serve;
const IMAGE = 'dc-test/busybox:1';

beforeAll(async () => {
  importBusyboxImage(inject('dockerHost'), IMAGE);
  serve = await startServe({ upstream: inject('dockerHost') });
});
afterAll(async () => {
  await serve?.stop();
});

function raw(method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: serve.socket, method, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject).end();
  });
}

describe.each(DOCKER_CLIS)('docker CLI %s through serve', (cli) => {
  const d = (args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) => docker(serve.host, args, { cli, ...opts });

  it('reports the engine version and lists containers and images', () => {
    expect(d(['version', '--format', '{{.Server.Version}}']).trim()).toMatch(/^\d+\./);
    expect(d(['ps', '-a'])).toContain('CONTAINER ID');
    expect(d(['images', '--format', '{{.Repository}}:{{.Tag}}'])).toContain(IMAGE);
  });

  it('runs a container without a network and prints its output', () => {
    expect(d(['run', '--rm', '--network', 'none', IMAGE, 'echo', 'hello from busybox']).trim()).toBe('hello from busybox');
  });

  it('passes stdin through to a container and its EOF (echo hi | docker run -i ... cat)', () => {
    expect(d(['run', '-i', '--rm', '--network', 'none', IMAGE, 'cat'], { input: 'hi\n' })).toBe('hi\n');
  });

  it('execs into a running container, with stdin', () => {
    const id = d(['run', '-d', '--network', 'none', IMAGE, 'sleep', '60']).trim();
    try {
      expect(d(['exec', id, 'echo', 'inside']).trim()).toBe('inside');
      expect(d(['exec', '-i', id, 'cat'], { input: 'piped\n' })).toBe('piped\n');
    } finally {
      d(['rm', '-f', id]);
    }
  });

  it('streams logs -f while the container runs, and wait returns its exit code', async () => {
    const id = d(['run', '-d', '--network', 'none', IMAGE, 'sh', '-c', 'echo first; sleep 2; echo second; exit 3']).trim();
    const follow = spawn(cli, ['logs', '-f', id], { env: { ...process.env, DOCKER_HOST: serve.host } });
    let out = '';
    const firstSeen = new Promise<number>((resolve) => follow.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('first')) resolve(Date.now());
    }));
    const firstAt = await firstSeen;
    // The first line arrives while the container still runs, before "second" is written.
    expect(out).not.toContain('second');
    await new Promise((r) => follow.on('exit', r));
    expect(out).toBe('first\nsecond\n');
    expect(Date.now() - firstAt).toBeGreaterThan(500);
    expect(d(['wait', id]).trim()).toBe('3');
    d(['rm', id]);
  });

  it('streams events as they happen', async () => {
    // The engine counts its event listeners: the stream is open once the count went up.
    const listeners = () => Number(docker(inject('dockerHost'), ['info', '--format', '{{.NEventsListener}}']));
    const before = listeners();
    const events = spawn(cli, ['events', '--format', '{{.Action}} {{.Actor.Attributes.name}}'], { env: { ...process.env, DOCKER_HOST: serve.host } });
    let out = '';
    events.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await until('the events stream to reach the engine', () => listeners() > before);
    const name = `ev-${Date.now()}`;
    d(['create', '--name', name, '--network', 'none', IMAGE]);
    await until(`the create event of ${name}`, () => out.includes(`create ${name}`));
    events.kill();
    d(['rm', name]);
    expect(out).toContain(`create ${name}`);
  });

  it('builds with the classic builder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-build-'));
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${IMAGE}\nRUN echo built > /built.txt\nCMD ["cat", "/built.txt"]\n`);
    const tag = `dc-test/built-${Date.now()}:1`;
    d(['build', '--network', 'none', '-t', tag, dir], { env: { DOCKER_BUILDKIT: '0' } });
    expect(d(['run', '--rm', '--network', 'none', tag]).trim()).toBe('built');
    d(['rmi', tag]);
  });
});

describe('BuildKit through serve', () => {
  // Debian's 20.10 CLI has BuildKit built in (CLI 28 needs the buildx plugin, absent here):
  // the build session is an h2c upgrade (101) carrying the context both ways.
  it('builds with BuildKit over the upgraded /session connection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-bk-'));
    writeFileSync(join(dir, 'hello.txt'), 'from the build context\n');
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${IMAGE}\nCOPY hello.txt /hello.txt\nCMD ["cat", "/hello.txt"]\n`);
    const tag = `dc-test/buildkit-${Date.now()}:1`;
    docker(serve.host, ['build', '-t', tag, dir], { cli: '/usr/bin/docker', env: { DOCKER_BUILDKIT: '1' } });
    expect(docker(serve.host, ['run', '--rm', '--network', 'none', tag]).trim()).toBe('from the build context');
    const session = await serve.waitForEntry((e) => e.route === 'build session' && !e.pending);
    expect(session).toMatchObject({ status: 101, upgraded: true });
    expect(session.bytesIn).toBeGreaterThan(0);
    docker(serve.host, ['rmi', tag]);
  });
});

describe('raw HTTP through serve', () => {
  it('answers HEAD /_ping and GET /_ping with and without the version prefix', async () => {
    const head = await raw('HEAD', '/_ping');
    expect(head.status).toBe(200);
    expect(head.headers['api-version']).toBeTruthy();
    expect((await raw('GET', '/v1.41/_ping')).body).toBe('OK');
    expect((await raw('GET', '/_ping')).body).toBe('OK');
  });

  it('passes DELETE through and keeps the engine\'s own errors', async () => {
    const res = await raw('DELETE', '/v1.41/containers/does-not-exist');
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body).message).toMatch(/No such container/);
    expect((await raw('GET', '/nope')).status).toBe(404);
  });

  it('logs one line per request with method, path, status, duration and bytes', async () => {
    await raw('GET', '/v1.41/version?marker=log-line');
    const entry = await serve.waitForEntry((e) => e.path === '/v1.41/version?marker=log-line');
    expect(entry).toMatchObject({ method: 'GET', route: 'version', status: 200, apiVersion: '1.41', pending: false });
    expect(entry.bytesOut).toBeGreaterThan(100);
    expect(entry.durationMs).toBeGreaterThan(0);
  });

  it('never prints registry credentials', async () => {
    const secret = Buffer.from(JSON.stringify({ username: 'u', password: 'hunter2-secret' })).toString('base64');
    await raw('GET', '/v1.41/info?marker=secret', { 'X-Registry-Auth': secret, Authorization: 'Bearer tok-secret-123' });
    await serve.waitForEntry((e) => e.path.includes('marker=secret'));
    expect(serve.stdout()).not.toContain(secret);
    expect(serve.stdout()).not.toContain('hunter2');
    expect(serve.stdout()).not.toContain('tok-secret-123');
    expect(serve.stderr()).not.toContain(secret);
  });
});

describe('dockerode through serve', () => {
  it('pings, lists images and runs a container', async () => {
    const client = new Docker({ socketPath: serve.socket });
    expect((await client.ping()).toString()).toBe('OK');
    const images = await client.listImages();
    expect(images.some((i) => (i.RepoTags ?? []).includes(IMAGE))).toBe(true);
    const container = await client.createContainer({ Image: IMAGE, Cmd: ['echo', 'dockerode'], HostConfig: { NetworkMode: 'none' } });
    await container.start();
    expect((await container.wait()).StatusCode).toBe(0);
    const logs = await container.logs({ stdout: true });
    expect(logs.toString()).toContain('dockerode');
    await container.remove();
  });
});

describe('big streams', () => {
  it('round-trips an image of tens of MB through save | load with the same image ID', () => {
    const host = inject('dockerHost');
    const dir = mkdtempSync(join(tmpdir(), 'dc-big-'));
    mkdirSync(join(dir, 'bin'));
    cpSync('/bin/busybox', join(dir, 'bin/busybox'));
    writeFileSync(join(dir, 'blob'), execFileSync('head', ['-c', String(40 * 1024 * 1024), '/dev/urandom'], { maxBuffer: 64 << 20 }));
    const tar = execFileSync('tar', ['-C', dir, '-c', '.'], { maxBuffer: 128 << 20 });
    const tag = 'dc-test/big:1';
    execFileSync('/usr/local/bin/docker', ['import', '-', tag], { input: tar, env: { ...process.env, DOCKER_HOST: host } });
    const id = docker(host, ['image', 'inspect', '--format', '{{.Id}}', tag]).trim();
    const saved = join(dir, 'saved.tar');
    execFileSync('sh', ['-c', `docker save ${tag} > ${saved}`], { env: { ...process.env, DOCKER_HOST: serve.host } });
    docker(host, ['rmi', tag]);
    execFileSync('sh', ['-c', `docker load < ${saved}`], { env: { ...process.env, DOCKER_HOST: serve.host } });
    expect(docker(host, ['image', 'inspect', '--format', '{{.Id}}', tag]).trim()).toBe(id);
    docker(host, ['rmi', tag]);
  });
});
