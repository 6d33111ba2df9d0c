// `docker-caching resolve` as users run it: the built CLI, a config file, stdout and exit codes.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = resolve(__dirname, '../../dist/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'dc-resolve-'));
const config = join(dir, 'config.yaml');
writeFileSync(config, [
  'version: 1',
  'rules:',
  '  - from: docker.io/library',
  '    to: [localhost:5000, mirror.example.com/hub]',
  '    name: hub mirror',
  '  - from: quay.io',
  '    block: "pulls from quay.io are not allowed here"',
  '  - from: ghcr.io',
  '    to: localhost:5001',
  '    fallback: false',
  '  - from: 127.0.0.1:5300',
  '    to: [127.0.0.1:5300, 127.0.0.1:5300]',
  '',
].join('\n'));

function resolveRef(...args: string[]) {
  const res = spawnSync(process.execPath, [CLI, 'resolve', '--config', config, ...args], { encoding: 'utf8', env: { ...process.env, HOME: dir } });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('docker-caching resolve', () => {
  it('lists a mirror that is the original itself once, and says which candidates are dropped as repeats', () => {
    const json = JSON.parse(resolveRef('--json', '127.0.0.1:5300/app:1').stdout);
    expect(json.candidates).toEqual(['127.0.0.1:5300/app:1']);
    expect(json.skipped).toEqual([
      { candidate: '127.0.0.1:5300/app:1', reason: 'the same reference as candidate 1, which is tried already.' },
      { candidate: '127.0.0.1:5300/app:1', reason: 'the same reference as candidate 1, which is tried already.' },
    ]);
    const text = resolveRef('127.0.0.1:5300/app:1').stdout;
    expect(text).toContain('  1. 127.0.0.1:5300/app:1 (original)\n  2. 127.0.0.1:5300/app:1 (original) — skipped: the same reference as candidate 1');
    expect(text).toContain('(the original itself) (2 candidates repeat earlier ones and are dropped)');
  });

  it('prints one JSON object with the normalised name, familiar form, action, candidates and rule', () => {
    const res = resolveRef('--json', 'ubuntu');
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out).toMatchObject({
      input: 'ubuntu',
      normalized: 'docker.io/library/ubuntu',
      familiar: 'ubuntu',
      action: 'mirror',
      candidates: ['localhost:5000/ubuntu:latest', 'mirror.example.com/hub/ubuntu:latest', 'docker.io/library/ubuntu:latest'],
      rule: { index: 0, from: 'docker.io/library', name: 'hub mirror', fallback: true },
    });
  });

  it('keeps tags and digests, and honours fallback: false', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(JSON.parse(resolveRef('--json', `ghcr.io/org/app@${digest}`).stdout)).toMatchObject({
      normalized: `ghcr.io/org/app@${digest}`, action: 'mirror', candidates: [`localhost:5001/org/app@${digest}`],
    });
    expect(JSON.parse(resolveRef('--json', 'ubuntu:18.04').stdout).candidates[0]).toBe('localhost:5000/ubuntu:18.04');
  });

  it('says block and pass', () => {
    expect(JSON.parse(resolveRef('--json', 'quay.io/prom/prometheus').stdout)).toMatchObject({ action: 'block', candidates: [], message: 'pulls from quay.io are not allowed here' });
    expect(JSON.parse(resolveRef('--json', 'registry.example.com/distroless/static').stdout)).toMatchObject({ action: 'pass', candidates: ['registry.example.com/distroless/static:latest'], rule: null });
  });

  it('shows the local cache as the lowest-priority rule of a cached registry', () => {
    expect(JSON.parse(resolveRef('--json', 'gcr.io/distroless/static').stdout)).toMatchObject({
      action: 'mirror',
      candidates: ['127.0.0.1:5054/distroless/static:latest', 'gcr.io/distroless/static:latest'],
      rule: { index: -1, from: 'gcr.io', name: 'local cache (gcr.io)', cache: 'gcr.io' },
    });
    const text = resolveRef('gcr.io/distroless/static').stdout;
    expect(text).toContain('action:     mirror (local cache (gcr.io))');
    expect(text).toContain('Local cache (gcr.io) sends gcr.io/distroless/static:latest to 127.0.0.1:5054/distroless/static:latest, then to the original registry if that fails.');
  });

  it('prints a readable plan without --json', () => {
    const res = resolveRef('ubuntu:18.04');
    expect(res.stdout).toContain('normalized: docker.io/library/ubuntu:18.04');
    expect(res.stdout).toContain('1. localhost:5000/ubuntu:18.04');
    expect(res.stdout).toContain('3. docker.io/library/ubuntu:18.04 (original)');
  });

  it('rejects an invalid reference with exit 1 and one line', () => {
    for (const bad of ['Ubuntu', 'ubuntu:', 'a'.repeat(300)]) {
      const res = resolveRef('--json', bad);
      expect(res.code).toBe(1);
      expect(res.stdout).toBe('');
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
      expect(res.stderr).toContain('invalid reference');
    }
  });

  it('reads references after -- as references, rejecting those that start with -', () => {
    const res = resolveRef('--json', '--', '-ubuntu');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('invalid reference "-ubuntu"');
    expect(resolveRef('--json', '--', 'ubuntu').code).toBe(0);
  });

  it('refuses an invalid config naming file and line', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'version: 1\nrules:\n  - from: docker.io\n    to: [localhost:5000]\n    unknown: 1\n');
    const res = spawnSync(process.execPath, [CLI, 'resolve', '--config', bad, 'ubuntu'], { encoding: 'utf8' });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`${bad}:5`);
  });
});
