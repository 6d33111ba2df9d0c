import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { discoverUpstream, formatUpstream, parseUpstream, type DiscoveryInput } from '../../main/engine/upstream/upstream';
import { currentContextEndpoint } from '../../main/engine/upstream/docker-context';
import { useDockerContext, writeDockerContext } from '../harness/docker-contexts';

function fakeHome() {
  return mkdtempSync(join(tmpdir(), 'dc-home-'));
}

function input(home: string, over: Partial<DiscoveryInput> = {}): DiscoveryInput {
  return {
    env: {}, home, platform: 'linux', ownSocket: join(home, '.docker-caching/docker.sock'),
    isSocket: (p) => {
      try {
        return statSync(p).isSocket();
      } catch {
        return false;
      }
    },
    currentContext: () => currentContextEndpoint({ env: over.env ?? {}, home }),
    ...over,
  };
}

async function listenAt(path: string) {
  mkdirSync(join(path, '..'), { recursive: true });
  const server = createServer();
  await new Promise<void>((r) => server.listen(path, r));
  return server;
}

describe('upstream URLs', () => {
  it('parses and formats unix, tcp and npipe addresses', () => {
    expect(parseUpstream('unix:///var/run/docker.sock')).toEqual({ kind: 'unix', path: '/var/run/docker.sock' });
    expect(parseUpstream('tcp://127.0.0.1:2375')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 2375 });
    expect(parseUpstream('npipe:////./pipe/docker_engine')).toEqual({ kind: 'npipe', path: '\\\\.\\pipe\\docker_engine' });
    expect(formatUpstream(parseUpstream('npipe:////./pipe/docker_engine'))).toBe('npipe:////./pipe/docker_engine');
    expect(formatUpstream(parseUpstream('tcp://[::1]:2375'))).toBe('tcp://[::1]:2375');
  });

  it('rejects what docker would not accept, saying what was expected', () => {
    expect(() => parseUpstream('/var/run/docker.sock')).toThrow(/expected unix:\/\/\/path/);
    expect(() => parseUpstream('http://x:1')).toThrow(/unsupported upstream scheme "http"/);
    expect(() => parseUpstream('tcp://host')).toThrow(/tcp:\/\/host:port/);
    expect(() => parseUpstream('unix://relative.sock')).toThrow(/absolute/);
  });
});

describe('upstream discovery', () => {
  it('prefers --upstream, then DOCKER_HOST, then the docker context, then well-known sockets', async () => {
    const home = fakeHome();
    const wellKnown = await listenAt(join(home, '.colima/default/docker.sock'));
    writeDockerContext(home, 'colleague', 'unix:///ctx.sock');
    useDockerContext(home, 'colleague');
    const env = { DOCKER_HOST: 'unix:///env.sock' };
    expect(discoverUpstream(input(home, { flag: 'tcp://127.0.0.1:1', env })).source).toBe('--upstream');
    expect(discoverUpstream(input(home, { env })).address).toEqual({ kind: 'unix', path: '/env.sock' });
    expect(discoverUpstream(input(home)).source).toBe('docker context "colleague"');
    writeFileSync(join(home, '.docker/config.json'), '{}');
    const found = discoverUpstream(input(home));
    // /var/run/docker.sock comes first when it exists on this machine; otherwise colima's.
    expect(['well-known socket']).toContain(found.source);
    wellKnown.close();
  });

  it('never proxies to itself: skips its own socket in DOCKER_HOST and its own context', () => {
    const home = fakeHome();
    const own = join(home, '.docker-caching/docker.sock');
    writeDockerContext(home, 'docker-caching', `unix://${own}`);
    useDockerContext(home, 'docker-caching');
    const result = discoverUpstream(input(home, { env: { DOCKER_HOST: `unix://${own}` }, ownSocket: own }));
    expect(result.address).not.toEqual({ kind: 'unix', path: own });
    expect(() => discoverUpstream(input(home, { flag: `unix://${own}`, ownSocket: own }))).toThrow(/own socket/);
  });

  it('falls back to /var/run/docker.sock by name when nothing is found, so errors can name it', () => {
    const home = fakeHome();
    const result = discoverUpstream(input(home, { isSocket: () => false, currentContext: () => null }));
    expect(result).toEqual({ address: { kind: 'unix', path: '/var/run/docker.sock' }, source: 'default socket' });
  });

  it('uses the named pipe on Windows', () => {
    const result = discoverUpstream(input('C:\\Users\\me', { platform: 'win32', isSocket: () => false, currentContext: () => null }));
    expect(result.address).toEqual({ kind: 'npipe', path: '\\\\.\\pipe\\docker_engine' });
  });
});
