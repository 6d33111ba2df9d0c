// No credential in any output, even when a registry echoes it: a hostile registry (a tiny
// HTTP server posing as one) repeats the Authorization header, the decoded user:password,
// a forged log line and ANSI escapes in its error text. The real dockerd passes that text on;
// serve must redact every form of the credentials it handled from its JSON and text logs and
// from what it streams to the pulling docker CLI, and keep each text log entry on one line.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, type Serve } from '../harness/serve';
import { startEchoRegistry, FORGED_LINE, type EchoRegistry } from '../harness/echo-registry';
import { formatLogLine } from '../../main/cli/log-line';
import { encodeRegistryAuth } from '../../main/engine/rewrite/registry-credentials';
import type { LogEntry } from '#shared/log';

let echo: EchoRegistry;
const folders: string[] = [];
const running: Serve[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  folders.push(dir);
  return dir;
};

beforeAll(async () => {
  echo = await startEchoRegistry();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});
afterAll(async () => {
  await echo.stop();
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dockerConfig(host: string, user: string, password: string): string {
  const dir = tempDir('dc-secret-cfg-');
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }));
  return dir;
}

/**
 * Whether the engine passed the registry's error text on. dockerd 20.10 does; dockerd 26 with
 * the containerd image store asks with HEAD and passes on only the status, so there the echo
 * cannot reach serve: that run proves nothing leaks, the classic-engine run proves the redaction.
 */
const engineRelaysRegistryText = (entry: LogEntry) => !/unexpected status from HEAD request/.test(entry.error ?? '');

/** Every form of user:password a registry or the engine could hand back. */
function forms(user: string, password: string, serveraddress: string): string[] {
  const pair = `${user}:${password}`;
  const b64 = Buffer.from(pair).toString('base64');
  const b64url = b64.replace(/\+/g, '-').replace(/\//g, '_');
  const header = encodeRegistryAuth({ username: user, password, serveraddress });
  return [password, pair, b64, b64url, b64.replace(/=+$/, ''), `Basic ${b64}`, header, header.replace(/-/g, '+').replace(/_/g, '/')];
}

async function pullThrough(s: Serve, ref: string, env: NodeJS.ProcessEnv = {}) {
  // Not spawnSync: the echoing registry answers from this process's event loop.
  const child = spawn('/usr/local/bin/docker', ['pull', ref], { env: { ...process.env, DOCKER_HOST: s.host, ...env } });
  let client = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (client += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (client += c));
  const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const entry = await s.waitForEntry((e: LogEntry) => e.route === 'pull' && !e.pending);
  return { client, status, entry };
}

function expectNoSecret(outputs: Record<string, string>, secrets: string[]) {
  for (const [where, text] of Object.entries(outputs)) {
    for (const secret of secrets) expect(text.includes(secret), `${where} contains ${secret}`).toBe(false);
  }
}

describe('credentials a registry echoes', () => {
  it('mirror credentials from the user’s docker login never reach the logs or the pulling client', async () => {
    const [user, password] = ['mirror-user', `Pw+/?>${process.pid}~secret`];
    const home = tempDir('dc-secret-');
    writeFileSync(join(home, 'config.yaml'), `version: 1\nrules:\n  - from: docker.io/library\n    to: ${echo.address}\n    fallback: false\n`);
    const s = await startServe({ upstream: inject('dockerHost'), home, env: { DOCKER_CONFIG: dockerConfig(echo.address, user, password) } });
    running.push(s);
    const seenBefore = echo.seen.length;
    const { client, status, entry } = await pullThrough(s, `echoed${process.pid}:1`);
    expect(status).not.toBe(0);
    // The registry did get the credentials and did echo them, and the echo reached serve.
    expect(echo.seen.length).toBeGreaterThan(seenBefore);
    if (engineRelaysRegistryText(entry)) expect(client).toContain('<redacted>');
    const text = formatLogLine(entry, 'text');
    expectNoSecret({ client, json: s.stdout(), text, stderr: s.stderr() }, forms(user, password, echo.address));
  });

  it('the client’s own credentials, sent on to the original registry, never reach the logs or the client', async () => {
    const [user, password] = ['client-user', `Cl13nt/+${process.pid}=secret`];
    const home = tempDir('dc-secret-');
    // The mirror has no such image, so the pull falls back to the (echoing) original.
    writeFileSync(join(home, 'config.yaml'), `version: 1\nrules:\n  - from: ${echo.address}\n    to: ${inject('mirror')}/nothing-here\n`);
    const s = await startServe({ upstream: inject('dockerHost'), home });
    running.push(s);
    const { client, status, entry } = await pullThrough(s, `${echo.address}/app:1`, { DOCKER_CONFIG: dockerConfig(echo.address, user, password) });
    expect(status).not.toBe(0);
    expect(entry.rewrite?.candidates.map((c) => c.kind)).toEqual(['mirror', 'original']);
    if (engineRelaysRegistryText(entry)) expect(client).toContain('<redacted>');
    const text = formatLogLine(entry, 'text');
    expectNoSecret({ client, json: s.stdout(), text, stderr: s.stderr() }, forms(user, password, echo.address));
  });

  it('a registry’s newlines and ANSI escapes cannot forge text log lines', async () => {
    const home = tempDir('dc-secret-');
    writeFileSync(join(home, 'config.yaml'), `version: 1\nrules:\n  - from: docker.io/library\n    to: ${echo.address}\n    fallback: false\n`);
    const s = await startServe({ upstream: inject('dockerHost'), home, env: { DOCKER_CONFIG: dockerConfig(echo.address, 'u', 'forgery-pw') } });
    running.push(s);
    const { entry } = await pullThrough(s, `forged${process.pid}:1`);
    const text = formatLogLine(entry, 'text');
    expect(text.split('\n')).toHaveLength(1);
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    if (engineRelaysRegistryText(entry)) {
      expect(entry.error).toContain(FORGED_LINE);
      expect(text).toContain(`\\n${FORGED_LINE}\\x1b[2J`);
    }
  });
});

describe('credentials inside URLs in query values', () => {
  it('strips the userinfo of any URL in any query value (docker build remote=, import fromSrc=) from the log', async () => {
    const home = tempDir('dc-secret-');
    const s = await startServe({ upstream: inject('dockerHost'), home });
    running.push(s);
    const token = `ghp_${process.pid}TOKENsecret`;
    const targets = [
      `/v1.41/build?t=app&remote=${encodeURIComponent(`https://builder:${token}@127.0.0.1:1/repo.git`)}`,
      `/v1.41/images/create?fromSrc=${encodeURIComponent(`http://importer:${token}@127.0.0.1:1/rootfs.tar`)}&repo=imported`,
      `/v1.41/build?context=https://${token}@127.0.0.1:1/x.git`,
    ];
    for (const path of targets) {
      await new Promise<void>((resolve, reject) => {
        request({ socketPath: s.socket, path, method: 'POST' }, (res) => res.resume().on('end', resolve)).on('error', reject).end();
      });
    }
    const entries = await Promise.all(targets.map((_, i) => s.waitForEntry((e: LogEntry) => e.seq === i + 1 && !e.pending)));
    expect(entries.map((e) => e.path)).toEqual([
      `/v1.41/build?t=app&remote=${encodeURIComponent('https://<redacted>@127.0.0.1:1/repo.git')}`,
      `/v1.41/images/create?fromSrc=${encodeURIComponent('http://<redacted>@127.0.0.1:1/rootfs.tar')}&repo=imported`,
      `/v1.41/build?context=${encodeURIComponent('https://<redacted>@127.0.0.1:1/x.git')}`,
    ]);
    expect(s.stdout()).not.toContain(token);
    expect(entries.map((e) => formatLogLine(e, 'text')).join('\n')).not.toContain(token);
  });
});
