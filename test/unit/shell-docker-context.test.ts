import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentContextEndpoint } from '../../main/engine/docker-context';

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
