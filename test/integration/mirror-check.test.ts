// "Check mirror" against real registries: reachable, needs login, unreachable, with reasons.
import { describe, expect, inject, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkMirror } from '../../main/engine/rewrite/mirror-check';

const home = mkdtempSync(join(tmpdir(), 'dc-check-'));

describe('checking a mirror', () => {
  it('says reachable for a registry that answers /v2/', async () => {
    expect(await checkMirror(`${inject('mirror')}/some/path`, { env: {}, home })).toMatchObject({
      state: 'reachable', status: 200, reason: `HTTP 200 from http://${inject('mirror')}/v2/`,
    });
  });

  it('says needs login for a registry that wants credentials, and whether the user has some', async () => {
    const withoutLogin = await checkMirror(inject('authMirror'), { env: {}, home });
    expect(withoutLogin).toMatchObject({ state: 'needs login', status: 401 });
    expect(withoutLogin.reason).toContain(`run "docker login ${inject('authMirror')}"`);
    const loggedIn = mkdtempSync(join(tmpdir(), 'dc-check-'));
    mkdirSync(join(loggedIn, '.docker'));
    writeFileSync(join(loggedIn, '.docker/config.json'), JSON.stringify({ auths: { [inject('authMirror')]: { auth: Buffer.from('u:p').toString('base64') } } }));
    expect((await checkMirror(inject('authMirror'), { env: {}, home: loggedIn })).reason).toContain('credentials for this host were found');
  });

  it('says unreachable with the reason when nothing listens, and refuses what is not a location', async () => {
    const down = await checkMirror('127.0.0.1:9', { env: {}, home });
    expect(down.state).toBe('unreachable');
    expect(down.reason).toContain('connection refused');
    expect((await checkMirror('https://x', { env: {}, home })).reason).toContain('is not a registry location');
  });
});
