// The config file in every shape a filesystem gives it, with the built `serve`: a FIFO at
// start or swapped in while serving, a file far over the size limit, a symlink into a
// dotfiles folder, and a deleted file, whose rules stay in force for the next real pull.
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, startServe, type Serve } from '../harness/serve';
import { docker, publishImage } from '../harness/real-docker';
import { until } from '../harness/wait';

const running: Serve[] = [];
const folders: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'dc-shapes-'));
  folders.push(dir);
  return dir;
};
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});
afterAll(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs `serve` expecting it to refuse to start: its exit code and stderr. */
async function serveRefuses(config: string): Promise<{ code: number | null; stderr: string }> {
  const home = tempDir();
  const child = spawn(process.execPath, [CLI, 'serve', '--listen', join(home, 'd.sock'), '--upstream', inject('dockerHost'), '--config', config], {
    env: { ...process.env, HOME: home, DOCKER_HOST: '' }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stderr };
}

const hubRule = (mirror: string) => `version: 1\nrules:\n  - from: docker.io/library\n    to: ${mirror}/library\n    fallback: false\n`;

describe('config files of every shape', () => {
  it('refuses to start on a FIFO, at once and with the reason, instead of hanging', async () => {
    const fifo = join(tempDir(), 'config.yaml');
    execFileSync('mkfifo', [fifo]);
    const { code, stderr } = await serveRefuses(fifo);
    expect(code).toBe(1);
    expect(stderr).toContain('the config file is not a regular file (it is a FIFO); it was not read');
  });

  it('refuses to start on an 11 MB file of 200,000 rules, saying it is over the limit', async () => {
    const file = join(tempDir(), 'config.yaml');
    writeFileSync(file, `version: 1\nrules:\n${Array.from({ length: 200_000 }, (_, i) => `  - from: docker.io/team${i}\n    to: localhost:5000/t${i}\n`).join('')}`);
    const { code, stderr } = await serveRefuses(file);
    expect(code).toBe(1);
    expect(stderr).toMatch(/the config file is 1\d\.\d MiB, over the limit of 1 MiB; it was not read/);
  });

  it('reports a config swapped for a FIFO while serving, keeps the rules, and still stops on SIGINT', async () => {
    const home = tempDir();
    writeFileSync(join(home, 'config.yaml'), hubRule(inject('mirror')));
    const s = await startServe({ upstream: inject('dockerHost'), home });
    rmSync(join(home, 'config.yaml'));
    execFileSync('mkfifo', [join(home, 'config.yaml')]);
    await until('the FIFO to be reported', () => s.stderr().includes('not a regular file (it is a FIFO)'));
    expect(await s.stop('SIGINT')).toBe(0);
  });

  it('reloads a symlinked config when its target (in a dotfiles folder) is edited', async () => {
    const home = tempDir();
    mkdirSync(join(home, 'dotfiles'));
    writeFileSync(join(home, 'dotfiles', 'docker-caching.yaml'), hubRule(inject('mirror')));
    symlinkSync(join(home, 'dotfiles', 'docker-caching.yaml'), join(home, 'config.yaml'));
    const s = await startServe({ upstream: inject('dockerHost'), home });
    running.push(s);
    writeFileSync(join(home, 'dotfiles', 'docker-caching.yaml'), hubRule(inject('origin')));
    await until('the edit of the target to be reloaded', () => s.stderr().includes('reloaded'));
  });

  it('keeps the last good rules, with a warning, when the config is deleted: the next pull is still redirected', async () => {
    const home = tempDir();
    const name = `kept${process.pid}`;
    publishImage(inject('dockerHost'), `${inject('mirror')}/library/${name}:1`, 'kept');
    writeFileSync(join(home, 'config.yaml'), hubRule(inject('mirror')));
    const s = await startServe({ upstream: inject('dockerHost'), home });
    running.push(s);
    rmSync(join(home, 'config.yaml'));
    await until('the deletion to be reported', () => s.stderr().includes('the config file was deleted; the last good rules stay in force'));
    docker(s.host, ['pull', `${name}:1`]);
    const entry = await s.waitForEntry((e) => e.route === 'pull' && !e.pending);
    expect(entry.action).toBe('redirected');
  });
});
