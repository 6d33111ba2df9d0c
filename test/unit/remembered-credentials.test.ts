// The user's credentials kept between pulls: a real credential helper program (a shell script
// speaking the docker-credential protocol, counting its runs) behind a real config.json.
import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rememberedCredentials } from '../../main/engine/rewrite/remembered-credentials';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A docker config folder using helper `dctest`, whose secret for mirror.example:5000 is read from a file. */
function setUp() {
  const dir = mkdtempSync(join(tmpdir(), 'dc-creds-'));
  dirs.push(dir);
  const runs = join(dir, 'runs');
  const secret = join(dir, 'secret');
  writeFileSync(secret, 's3cret-1');
  writeFileSync(join(dir, 'docker-credential-dctest'), `#!/bin/sh\necho run >> ${runs}\nread host\n[ "$1" = get ] && [ "$host" = mirror.example:5000 ] && printf '{"ServerURL":"%s","Username":"me","Secret":"%s"}' "$host" "$(cat ${secret})" && exit 0\necho "credentials not found" >&2; exit 1\n`);
  chmodSync(join(dir, 'docker-credential-dctest'), 0o755);
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ credsStore: 'dctest' }));
  const env = { DOCKER_CONFIG: dir, PATH: `${dir}:${process.env.PATH}` };
  return { env, config, secret, runCount: () => (existsSync(runs) ? readFileSync(runs, 'utf8').split('\n').filter(Boolean).length : 0) };
}

describe('credentials kept between pulls', () => {
  it('runs the helper once for pulls that ask again, or at once, and never hands one host\'s login to another', async () => {
    const { env, runCount } = setUp();
    const credentials = rememberedCredentials({ env, home: '/nonexistent' });
    const [a, b] = await Promise.all([credentials('mirror.example:5000'), credentials('mirror.example:5000')]);
    expect(a).toEqual({ username: 'me', password: 's3cret-1', serveraddress: 'mirror.example:5000' });
    expect(b).toEqual(a);
    expect(await credentials('mirror.example:5000')).toEqual(a);
    expect(runCount()).toBe(1);
    expect(await credentials('other.example')).toBeNull();
    expect(await credentials('other.example')).toBeNull();
    expect(runCount()).toBe(2);
  });

  it('looks up again once config.json is written (docker login, logout) or removed', async () => {
    const { env, config, secret, runCount } = setUp();
    const credentials = rememberedCredentials({ env, home: '/nonexistent' });
    expect((await credentials('mirror.example:5000'))?.password).toBe('s3cret-1');
    // docker login stores the new secret in the helper and writes config.json again.
    writeFileSync(secret, 's3cret-2');
    writeFileSync(config, JSON.stringify({ credsStore: 'dctest', auths: { 'mirror.example:5000': {} } }));
    expect((await credentials('mirror.example:5000'))?.password).toBe('s3cret-2');
    expect(runCount()).toBe(2);
    rmSync(config);
    expect(await credentials('mirror.example:5000')).toBeNull();
    expect(runCount()).toBe(2);
  });

  it('looks up again after ttlMs: a helper\'s store changed without config.json is seen that late at most', async () => {
    const { env, secret, runCount } = setUp();
    let now = 1_000_000;
    const credentials = rememberedCredentials({ env, home: '/nonexistent' }, { ttlMs: 30_000, now: () => now });
    expect((await credentials('mirror.example:5000'))?.password).toBe('s3cret-1');
    writeFileSync(secret, 's3cret-2');
    now += 29_999;
    expect((await credentials('mirror.example:5000'))?.password).toBe('s3cret-1');
    now += 1;
    expect((await credentials('mirror.example:5000'))?.password).toBe('s3cret-2');
    expect(runCount()).toBe(2);
  });
});
