import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CONTEXT_NAME, currentContextEndpoint, endpointFor, proxyContextActive, restorePreviousContext, upstreamContextEndpoint, useProxyContext,
} from '../../main/engine/upstream/docker-context';

function fakeHome(): string {
  return mkdtempSync(join(tmpdir(), 'dc-home-'));
}

function writeContext(configDir: string, name: string, host: string): void {
  const dir = join(configDir, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }));
}

function writeConfig(configDir: string, config: object | string): void {
  mkdirSync(configDir, { recursive: true });
  writeFileSync(join(configDir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
}

describe('currentContextEndpoint', () => {
  it('returns null when docker has no config at all', () => {
    expect(currentContextEndpoint({ env: {}, home: fakeHome() })).toBeNull();
  });

  it('returns the endpoint of config.json currentContext', () => {
    const home = fakeHome();
    const dir = join(home, '.docker');
    writeConfig(dir, { auths: {}, currentContext: 'colima' });
    writeContext(dir, 'colima', 'unix:///home/u/.colima/default/docker.sock');
    expect(currentContextEndpoint({ env: {}, home })).toEqual({ name: 'colima', host: 'unix:///home/u/.colima/default/docker.sock' });
  });

  it('returns null for the default context, named or implied', () => {
    const home = fakeHome();
    writeConfig(join(home, '.docker'), { currentContext: 'default' });
    expect(currentContextEndpoint({ env: {}, home })).toBeNull();
    expect(currentContextEndpoint({ env: { DOCKER_CONTEXT: 'default' }, home })).toBeNull();
  });

  it('lets DOCKER_CONTEXT override config.json, as the docker CLI does', () => {
    const home = fakeHome();
    const dir = join(home, '.docker');
    writeConfig(dir, { currentContext: 'colima' });
    writeContext(dir, 'colima', 'unix:///colima.sock');
    writeContext(dir, 'remote', 'tcp://10.0.0.2:2375');
    expect(currentContextEndpoint({ env: { DOCKER_CONTEXT: 'remote' }, home })).toEqual({ name: 'remote', host: 'tcp://10.0.0.2:2375' });
  });

  it('reads the config directory named by DOCKER_CONFIG instead of ~/.docker', () => {
    const home = fakeHome();
    const elsewhere = join(fakeHome(), 'dockercfg');
    writeConfig(join(home, '.docker'), { currentContext: 'ignored' });
    writeConfig(elsewhere, { currentContext: 'podman' });
    writeContext(elsewhere, 'podman', 'unix:///run/user/1000/podman/podman.sock');
    expect(currentContextEndpoint({ env: { DOCKER_CONFIG: elsewhere }, home })).toEqual({ name: 'podman', host: 'unix:///run/user/1000/podman/podman.sock' });
  });

  it('returns null when the named context does not exist or config.json is broken', () => {
    const home = fakeHome();
    writeConfig(join(home, '.docker'), { currentContext: 'gone' });
    expect(currentContextEndpoint({ env: {}, home })).toBeNull();
    writeConfig(join(home, '.docker'), '{ not json');
    expect(currentContextEndpoint({ env: {}, home })).toBeNull();
  });
});

describe('switching docker commands to the proxy context and back', () => {
  const socketPath = '/run/user/1000/docker-caching/docker.sock';
  const setup = (config?: object) => {
    const home = fakeHome();
    const dir = join(home, '.docker');
    if (config) writeConfig(dir, config);
    const statePath = join(home, '.config', 'docker-caching', 'docker-context.json');
    return { home, dir, statePath, opts: { env: {}, home, statePath } };
  };
  const readConfig = (dir: string) => JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));

  it('creates the docker-caching context pointing at our socket and makes it current', () => {
    const { dir, opts, home } = setup();
    expect(useProxyContext({ ...opts, socketPath })).toEqual({ previousContext: null });
    const metaFile = join(dir, 'contexts', 'meta', createHash('sha256').update(CONTEXT_NAME).digest('hex'), 'meta.json');
    const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    expect(meta).toMatchObject({ Name: 'docker-caching', Metadata: { Description: expect.any(String) }, Endpoints: { docker: { Host: `unix://${socketPath}`, SkipTLSVerify: false } } });
    expect(readConfig(dir)).toEqual({ currentContext: 'docker-caching' });
    expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o600);
    expect(proxyContextActive({ env: {}, home })).toBe(true);
    expect(currentContextEndpoint({ env: {}, home })).toEqual({ name: CONTEXT_NAME, host: `unix://${socketPath}` });
  });

  it('preserves every other field of config.json and its file mode, and leaves no temp files', () => {
    const original = { auths: { 'registry.example.com': { auth: 'dXNlcjpwYXNz' } }, credsStore: 'pass', currentContext: 'colima', plugins: { x: { y: 'z' } }, psFormat: 'table {{.ID}}' };
    const { dir, opts } = setup(original);
    chmodSync(join(dir, 'config.json'), 0o640);
    useProxyContext({ ...opts, socketPath });
    expect(readConfig(dir)).toEqual({ ...original, currentContext: 'docker-caching' });
    expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    restorePreviousContext(opts);
    expect(readConfig(dir)).toEqual(original);
  });

  it('restores the previous context on switch-off and forgets it', () => {
    const { dir, opts, statePath, home } = setup({ currentContext: 'colima' });
    writeContext(dir, 'colima', 'unix:///colima.sock');
    useProxyContext({ ...opts, socketPath });
    expect(restorePreviousContext(opts)).toEqual({ changed: true, currentContext: 'colima' });
    expect(readConfig(dir).currentContext).toBe('colima');
    expect(existsSync(statePath)).toBe(false);
    expect(currentContextEndpoint({ env: {}, home })).toEqual({ name: 'colima', host: 'unix:///colima.sock' });
  });

  it('restores the default context by removing currentContext, as `docker context use default` does', () => {
    const { dir, opts } = setup({ auths: {} });
    useProxyContext({ ...opts, socketPath });
    restorePreviousContext(opts);
    expect(readConfig(dir)).toEqual({ auths: {} });
  });

  it('keeps the first remembered context when switched on twice (or after a crash)', () => {
    const { dir, opts } = setup({ currentContext: 'colima' });
    useProxyContext({ ...opts, socketPath });
    expect(useProxyContext({ ...opts, socketPath: '/tmp/other.sock' })).toEqual({ previousContext: 'colima' });
    restorePreviousContext(opts);
    expect(readConfig(dir).currentContext).toBe('colima');
  });

  it('leaves a context the user chose since alone on switch-off', () => {
    const { dir, opts } = setup({ currentContext: 'colima' });
    useProxyContext({ ...opts, socketPath });
    writeConfig(dir, { currentContext: 'orbstack' });
    expect(restorePreviousContext(opts)).toEqual({ changed: false, currentContext: 'orbstack' });
    expect(readConfig(dir).currentContext).toBe('orbstack');
  });

  it('writes through a symlinked config.json instead of replacing the link', () => {
    const { home, opts } = setup();
    const real = join(home, 'dotfiles');
    writeConfig(real, { auths: {} });
    mkdirSync(join(home, '.docker'), { recursive: true });
    symlinkSync(join(real, 'config.json'), join(home, '.docker', 'config.json'));
    useProxyContext({ ...opts, socketPath });
    expect(lstatSync(join(home, '.docker', 'config.json')).isSymbolicLink()).toBe(true);
    expect(readConfig(real)).toEqual({ auths: {}, currentContext: 'docker-caching' });
  });

  it('writes into DOCKER_CONFIG and warns when DOCKER_CONTEXT or DOCKER_HOST will override it', () => {
    const { opts, home } = setup();
    const elsewhere = join(home, 'cfg');
    const env = { DOCKER_CONFIG: elsewhere, DOCKER_CONTEXT: 'colima' };
    const result = useProxyContext({ ...opts, env, socketPath });
    expect(result.warning).toMatch(/DOCKER_CONTEXT=colima is set.*unset DOCKER_CONTEXT/);
    expect(readConfig(elsewhere).currentContext).toBe('docker-caching');
    expect(existsSync(join(home, '.docker', 'config.json'))).toBe(false);
    restorePreviousContext({ ...opts, env });
    expect(useProxyContext({ ...opts, env: { DOCKER_CONFIG: elsewhere, DOCKER_HOST: 'tcp://x:2375' }, socketPath }).warning).toMatch(/unset DOCKER_HOST/);
  });

  it('refuses to touch a config.json that is not JSON, saying which file and what to do', () => {
    const { dir, opts } = setup();
    writeConfig(dir, '{"auths": ');
    expect(() => useProxyContext({ ...opts, socketPath })).toThrow(/cannot read .*config\.json .*fix or remove the file/);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe('{"auths": ');
  });

  it('gives upstream discovery the remembered context, never our own', () => {
    const { dir, opts } = setup({ currentContext: 'colima' });
    writeContext(dir, 'colima', 'unix:///colima.sock');
    useProxyContext({ ...opts, socketPath });
    expect(upstreamContextEndpoint(opts)).toEqual({ name: 'colima', host: 'unix:///colima.sock' });
    const fresh = setup();
    useProxyContext({ ...fresh.opts, socketPath });
    expect(upstreamContextEndpoint(fresh.opts)).toBeNull();
  });

  it('names Windows named pipes the way docker does', () => {
    expect(endpointFor('\\\\.\\pipe\\docker_caching')).toBe('npipe:////./pipe/docker_caching');
    expect(endpointFor('/tmp/x.sock')).toBe('unix:///tmp/x.sock');
  });
});
