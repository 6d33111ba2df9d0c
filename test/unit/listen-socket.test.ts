import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultListenPath, isNamedPipe, listenPrivately, prepareSocketPath, removeOwnSocket } from '../../main/engine/proxy/listen-socket';
import { passableTempDir } from '../harness/passable-temp';
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

  it('gives the folder (0750) and the socket (0660) to a configured group, owner and group set explicitly', async () => {
    const base = passableTempDir('dc-sock-');
    try {
      const path = join(base, 'run', 'docker.sock');
      const server = createServer();
      await listenPrivately(server, path, '0');
      expect(statSync(path).mode & 0o777).toBe(0o660);
      expect(statSync(path).gid).toBe(0);
      expect(statSync(join(base, 'run')).mode & 0o777).toBe(0o750);
      expect(statSync(join(base, 'run')).gid).toBe(0);
      await new Promise((r) => server.close(r));
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('refuses a group that could not get through the folder the user chose, and says which folder', async () => {
    const base = dir();
    const path = join(base, 'docker.sock');
    await expect(listenPrivately(createServer(), path, '0')).rejects.toThrow(`${base} lets neither that group nor others through (mode 0700)`);
    expect(statSync(base).mode & 0o777).toBe(0o700);
  });

  it('on stop removes only the socket it bound: not another server’s socket, not a file that replaced it', async () => {
    const path = join(dir(), 'docker.sock');
    const ours = createServer();
    const bound = await listenPrivately(ours, path);
    // Somebody removes our socket and another server binds the same path; then we stop.
    rmSync(path);
    const theirs = createServer();
    await listenPrivately(theirs, path);
    await new Promise((r) => ours.close(r));
    await removeOwnSocket(bound);
    expect(statSync(path).isSocket()).toBe(true);
    await new Promise<void>((resolve, reject) => connect(path).once('connect', function (this: Socket) { this.destroy(); resolve(); }).once('error', reject));
    // A regular file put in place of our socket survives our stop too.
    const again = createServer();
    rmSync(path);
    const second = await listenPrivately(again, path);
    rmSync(path);
    writeFileSync(path, 'precious');
    await new Promise((r) => again.close(r));
    await removeOwnSocket(second);
    expect(readFileSync(path, 'utf8')).toBe('precious');
    await new Promise((r) => theirs.close(r));
  });

  it('on stop removes its own socket', async () => {
    const path = join(dir(), 'docker.sock');
    const server = createServer();
    const bound = await listenPrivately(server, path);
    await new Promise((r) => server.close(r));
    expect(statSync(path).isSocket()).toBe(true);
    await removeOwnSocket(bound);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(join(path, '..'))).toEqual([]);
  });
});
