import { describe, expect, it } from 'vitest';
import { mkdtempSync, statSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultListenPath, isNamedPipe, listenPrivately, prepareSocketPath } from '../../main/engine/proxy/listen-socket';
import { endpointFor } from '../../main/engine/upstream/docker-context';

const dir = () => mkdtempSync(join(tmpdir(), 'dc-sock-'));

describe('the proxy socket', () => {
  it('lives in a per-user private folder', () => {
    expect(defaultListenPath({ XDG_RUNTIME_DIR: '/run/user/1000' }, '/home/me')).toBe('/run/user/1000/docker-caching/docker.sock');
    expect(defaultListenPath({}, '/home/me', 'linux')).toBe('/home/me/.docker-caching/docker.sock');
    expect(defaultListenPath({}, '/home/me', 'darwin')).toBe('/home/me/.docker-caching/docker.sock');
  });

  it('is a named pipe on Windows, and docker is pointed at it with npipe://', () => {
    const pipe = defaultListenPath({}, 'C:\\Users\\me', 'win32');
    expect(pipe).toBe('\\\\.\\pipe\\docker_caching');
    expect(isNamedPipe(pipe)).toBe(true);
    expect(isNamedPipe('/run/user/1000/docker-caching/docker.sock')).toBe(false);
    expect(endpointFor(pipe)).toBe('npipe:////./pipe/docker_caching');
  });

  it('creates the missing folder 0700 and the socket 0600', async () => {
    const path = join(dir(), 'new', 'docker.sock');
    await prepareSocketPath(path);
    const server = createServer();
    await listenPrivately(server, path);
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    server.close();
  });

  it('removes a stale socket nobody listens on', async () => {
    const path = join(dir(), 'docker.sock');
    // What a crashed process leaves behind: a bound socket file nobody listens on.
    execFileSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', path]);
    expect(statSync(path).isSocket()).toBe(true);
    await prepareSocketPath(path);
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a live socket: "already running at ..."', async () => {
    const path = join(dir(), 'docker.sock');
    const server = createServer();
    await listenPrivately(server, path);
    await expect(prepareSocketPath(path)).rejects.toThrow(`already running at ${path}`);
    server.close();
  });

  it('never deletes a file that is not a socket', async () => {
    const path = join(dir(), 'docker.sock');
    writeFileSync(path, 'precious');
    await expect(prepareSocketPath(path)).rejects.toThrow(/is not a socket/);
    expect(readFileSync(path, 'utf8')).toBe('precious');
  });

  it('gives the socket to a configured group with mode 0660', async () => {
    const path = join(dir(), 'docker.sock');
    const server = createServer();
    await listenPrivately(server, path, '0');
    expect(statSync(path).mode & 0o777).toBe(0o660);
    expect(statSync(path).gid).toBe(0);
    server.close();
  });
});
