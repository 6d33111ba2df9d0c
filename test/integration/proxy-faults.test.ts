// Faults are loud and clear, and the proxy survives them: engine down, engine dying
// mid-stream, clients going away, malformed HTTP, signals, a socket already in use.
import { describe, expect, inject, it } from 'vitest';
import { connect } from 'node:net';
import { request, type IncomingMessage } from 'node:http';
import { existsSync, rmSync, mkdtempSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, startDockerd } from '../harness/real-docker';
import { CLI, startServe } from '../harness/serve';
import { passableTempDir } from '../harness/passable-temp';
import { until } from '../harness/wait';

function get(socketPath: string, path: string): Promise<IncomingMessage & { text: Promise<string> }> {
  return new Promise((resolve, reject) => {
    request({ socketPath, path }, (res) => {
      const text = new Promise<string>((r, j) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => r(body)).on('error', j);
      });
      text.catch(() => undefined); // streams cut on purpose are asserted through events instead
      resolve(Object.assign(res, { text }));
    }).on('error', reject).end();
  });
}

function socketFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
    } catch {
      return false;
    }
  }).length;
}

describe('when the engine is down', () => {
  it('answers a Docker-style 502 naming the engine address, keeps running, and recovers without a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-down-'));
    const engine = join(dir, 'engine.sock');
    const serve = await startServe({ upstream: `unix://${engine}` });
    try {
      const res = await get(serve.socket, '/_ping');
      expect(res.statusCode).toBe(502);
      expect(res.headers['content-type']).toBe('application/json');
      expect(JSON.parse(await res.text).message).toBe(`cannot reach the Docker engine at unix://${engine} (no such socket): is Docker running?`);
      const cli = spawnSync('docker', ['version'], { env: { ...process.env, DOCKER_HOST: serve.host }, encoding: 'utf8' });
      expect(cli.status).not.toBe(0);
      expect(cli.stderr).toContain(`cannot reach the Docker engine at unix://${engine}`);

      // The engine comes back at that address.
      symlinkSync(inject('dockerSocket'), engine);
      expect(docker(serve.host, ['version', '--format', '{{.Server.Version}}']).trim()).toMatch(/^\d+\./);
      expect(serve.child.exitCode).toBeNull();
    } finally {
      await serve.stop();
    }
  });
});

describe('a pull while the engine is down', () => {
  it('says once that the engine did not answer, and tries no further mirror', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-down-pull-'));
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'version: 1\nrules:\n  - from: docker.io\n    to: [localhost:5999, mirror.example.com]\n');
    const serve = await startServe({ upstream: `unix://${join(dir, 'engine.sock')}`, config });
    try {
      const res = await new Promise<IncomingMessage & { text: Promise<string> }>((resolve, reject) => {
        request({ socketPath: serve.socket, method: 'POST', path: '/v1.41/images/create?fromImage=ubuntu&tag=18.04' }, (r) => {
          const text = new Promise<string>((ok) => {
            let body = '';
            r.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => ok(body));
          });
          resolve(Object.assign(r, { text }));
        }).on('error', reject).end();
      });
      expect(res.statusCode).toBe(502);
      const message = JSON.parse(await res.text).message as string;
      expect(message).toMatch(/^the Docker engine did not answer \(.+\), so docker-caching could not pull ubuntu:18\.04: is Docker running\?$/);
      expect(message).not.toContain('mirror.example.com');
      const logged = await serve.waitForEntry((e) => e.route === 'pull');
      expect(logged.action).toBe('failed');
      expect(logged.rewrite?.engineError).toBeTruthy();
      expect(logged.rewrite?.candidates).toHaveLength(1);
    } finally {
      await serve.stop();
    }
  });
});

describe('when the engine dies mid-stream', () => {
  it('ends the client\'s stream with an error', async () => {
    const dockerd = await startDockerd([]);
    const serve = await startServe({ upstream: dockerd.host });
    try {
      const res = await get(serve.socket, '/v1.41/events');
      expect(res.statusCode).toBe(200);
      const outcome = new Promise<string>((resolve) => {
        res.on('end', () => resolve('clean end'));
        res.on('error', (err) => resolve(`error: ${err.message}`));
        res.on('aborted', () => resolve('aborted'));
      });
      await dockerd.stop();
      expect(await outcome).not.toBe('clean end');
      const entry = await serve.waitForEntry((e) => e.route === 'events');
      expect(entry.error).toMatch(/Docker engine .* closed the connection|connection to the Docker engine/);
    } finally {
      await serve.stop();
      await dockerd.stop();
    }
  });
});

describe('when a client goes away', () => {
  it('closes the upstream request too', async () => {
    const serve = await startServe({ upstream: inject('dockerHost') });
    try {
      const pid = serve.child.pid!;
      const baseline = socketFds(pid);
      const clients = Array.from({ length: 5 }, () => {
        const s = connect({ path: serve.socket });
        s.write('GET /v1.41/events HTTP/1.1\r\nHost: docker\r\n\r\n');
        return s;
      });
      await until('both sides of 5 streams to be open', () => socketFds(pid) >= baseline + 10);
      clients.forEach((c) => c.destroy());
      await until('the engine connections to close', () => socketFds(pid) <= baseline);
      const entries = await serve.waitForEntry((e) => e.route === 'events' && !e.pending);
      expect(entries.status).toBe(200);
    } finally {
      await serve.stop();
    }
  });
});

describe('malformed HTTP', () => {
  it('gets a 400 and that connection closed, while other connections keep working', async () => {
    const serve = await startServe({ upstream: inject('dockerHost') });
    try {
      const other = await get(serve.socket, '/_ping');
      expect(await other.text).toBe('OK');
      const answer = await new Promise<string>((resolve) => {
        const s = connect({ path: serve.socket });
        let data = '';
        s.on('data', (c) => (data += c.toString()));
        s.on('close', () => resolve(data));
        s.write('THIS IS NOT HTTP\r\n\r\n');
      });
      expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(answer).toContain('"message":"malformed HTTP request');
      const after = await get(serve.socket, '/_ping');
      expect(await after.text).toBe('OK');
      expect(serve.child.exitCode).toBeNull();
    } finally {
      await serve.stop();
    }
  });
});

describe('a hostile client', () => {
  it('survives a pull followed by a malformed request in the same write: the pull is answered, then a 400, then that connection closes', async () => {
    const serve = await startServe({ upstream: inject('dockerHost') });
    try {
      const answer = await new Promise<string>((resolve) => {
        const s = connect({ path: serve.socket });
        let data = '';
        s.on('data', (c) => (data += c.toString('latin1')));
        s.on('close', () => resolve(data));
        s.on('error', () => undefined);
        s.write('POST /v1.41/images/create?fromImage=127.0.0.1%3A1%2Fnothing&tag=1 HTTP/1.1\r\nHost: docker\r\n\r\nTHIS IS NOT HTTP\r\n\r\n');
      });
      const statuses = [...answer.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
      expect(statuses.at(-1)).toBe(400);
      expect(statuses.length).toBe(2);
      expect(answer).toContain('"message":"malformed HTTP request');
      const after = await get(serve.socket, '/_ping');
      expect(await after.text).toBe('OK');
      expect(serve.child.exitCode).toBeNull();
      expect(serve.stderr()).not.toMatch(/unhandled|MalformedHttp|RequestRejected/i);
    } finally {
      await serve.stop();
    }
  });
});

describe('lifecycle', () => {
  it('on SIGTERM closes open streams, removes its socket and exits 0 within 5 s', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const serve = await startServe({ upstream: inject('dockerHost') });
      const res = await get(serve.socket, '/v1.41/events');
      expect(res.statusCode).toBe(200);
      res.on('error', () => undefined);
      const started = Date.now();
      expect(await serve.stop(signal)).toBe(0);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(existsSync(serve.socket)).toBe(false);
    }
  });

  it('keeps the socket private (0600 in a 0700 folder), or 0660 in a 0750 folder for the group named in the config', async () => {
    const privateServe = await startServe({ upstream: inject('dockerHost') });
    try {
      expect(statSync(privateServe.socket).mode & 0o777).toBe(0o600);
      expect(statSync(join(privateServe.socket, '..')).mode & 0o777).toBe(0o700);
    } finally {
      await privateServe.stop();
    }
    // The group must get through every folder on the way; serve sets up only the one it creates.
    const home = passableTempDir('dc-group-');
    writeFileSync(join(home, 'config.yaml'), 'version: 1\ngroup: "0"\n');
    const groupServe = await startServe({ upstream: inject('dockerHost'), home });
    try {
      expect(statSync(groupServe.socket).mode & 0o777).toBe(0o660);
      expect(statSync(groupServe.socket).gid).toBe(0);
      expect(statSync(join(groupServe.socket, '..')).mode & 0o777).toBe(0o750);
      expect(statSync(join(groupServe.socket, '..')).gid).toBe(0);
    } finally {
      await groupServe.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('refuses to start where another instance is running', async () => {
    const serve = await startServe({ upstream: inject('dockerHost') });
    try {
      const second = spawnSync(process.execPath, [CLI, 'serve', '--listen', serve.socket, '--upstream', inject('dockerHost'), '--config', join(serve.home, 'config.yaml')], { encoding: 'utf8', timeout: 10_000 });
      expect(second.status).not.toBe(0);
      expect(second.stderr).toContain(`already running at ${serve.socket}`);
      expect((await get(serve.socket, '/_ping')).statusCode).toBe(200);
    } finally {
      await serve.stop();
    }
  });

  it('refuses an invalid config file with one line naming file, line and field, leaving the file untouched', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dc-badconf-'));
    const file = join(dir, 'config.yaml');
    const text = 'version: 1\nrules:\n  - from: docker.io\n    to: [localhost:5000]\n    retag: sometimes\n';
    writeFileSync(file, text);
    const res = spawnSync(process.execPath, [CLI, 'serve', '--listen', join(dir, 'd.sock'), '--config', file, '--upstream', inject('dockerHost')], { encoding: 'utf8', timeout: 10_000 });
    expect(res.status).not.toBe(0);
    const lines = res.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${file}:5`);
    expect(lines[0]).toContain('rules.0.retag');
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(existsSync(join(dir, 'd.sock'))).toBe(false);
  });
});
