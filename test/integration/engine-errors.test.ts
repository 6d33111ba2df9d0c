// The desktop app's engine keeps running through an invalid config or a socket somebody else
// holds, reporting them in its status (the tray shows them) and recovering by itself.
import { describe, expect, inject, it } from 'vitest';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEngine } from '../../main/engine/start';
import type { Status } from '#shared/ipc';
import { until } from '../harness/wait';

describe('engine errors in the desktop app', () => {
  it('starts with no rules and the problem reported when the config is invalid, and picks up the fix', async () => {
    const home = mkdtempSync(join(tmpdir(), 'dc-errors-'));
    const configPath = join(home, 'config.yaml');
    writeFileSync(configPath, 'version: 1\nrules:\n  - from: docker.io\n    to: 42\n');
    const engine = await startEngine({ configPath, listen: join(home, 'd.sock'), upstream: inject('dockerHost'), env: {}, home, keepRunningOnErrors: true });
    try {
      const status = engine.status();
      expect(status.listening).toBe(join(home, 'd.sock'));
      expect(status.configError).toMatchObject({ file: configPath, line: 4, field: 'rules.0.to' });
      expect(engine.config.get().config.rules).toEqual([]);
      const seen: Status[] = [];
      engine.onStatus((s) => seen.push(s));
      writeFileSync(configPath, 'version: 1\nrules:\n  - from: docker.io\n    to: localhost:5000\n');
      await until('the fixed config to be picked up', () => engine.status().configError === undefined);
      expect(engine.config.get().config.rules).toHaveLength(1);
      expect(seen.at(-1)?.configError).toBeUndefined();
    } finally {
      await engine.stop();
    }
  });

  it('reports a socket somebody else holds, never removes it, and listens once it is free', async () => {
    const home = mkdtempSync(join(tmpdir(), 'dc-errors-'));
    const listen = join(home, 'd.sock');
    const other = createServer();
    await new Promise<void>((r) => other.listen(listen, r));
    const engine = await startEngine({ configPath: join(home, 'config.yaml'), listen, upstream: inject('dockerHost'), env: {}, home, keepRunningOnErrors: true });
    try {
      expect(engine.status()).toMatchObject({ listening: null, listenError: `already running at ${listen}: another docker-caching (or another program) is listening there` });
      expect(existsSync(listen)).toBe(true);
      await new Promise<void>((r) => other.close(() => r()));
      await until('the freed socket to be taken', () => engine.status().listening === listen, 15_000);
      expect(engine.status().listenError).toBeUndefined();
    } finally {
      await engine.stop();
    }
    expect(existsSync(listen)).toBe(false);
  });

  it('without keepRunningOnErrors (serve) refuses both', async () => {
    const home = mkdtempSync(join(tmpdir(), 'dc-errors-'));
    writeFileSync(join(home, 'config.yaml'), 'version: 1\nbogus: true\n');
    await expect(startEngine({ configPath: join(home, 'config.yaml'), listen: join(home, 'd.sock'), upstream: inject('dockerHost'), env: {}, home })).rejects.toThrow(/config\.yaml:2/);
  });

  it('a listener that throws cannot break a request, a reload or the other listeners', async () => {
    const home = mkdtempSync(join(tmpdir(), 'dc-errors-'));
    const configPath = join(home, 'config.yaml');
    const engine = await startEngine({ configPath, listen: join(home, 'd.sock'), upstream: inject('dockerHost'), env: {}, home });
    try {
      const ended: string[] = [];
      const states: number[] = [];
      engine.logs.subscribe(() => {
        throw new Error('a broken printer');
      });
      engine.logs.subscribe((entry, kind) => kind === 'end' && ended.push(entry.path));
      engine.onStatus(() => {
        throw new Error('a broken window');
      });
      engine.config.onChange(() => {
        throw new Error('a broken tray');
      });
      engine.config.onChange((state) => states.push(state.revision));
      const body = await new Promise<string>((resolve, reject) => {
        request({ socketPath: join(home, 'd.sock'), path: '/_ping' }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve(`${res.statusCode} ${text}`));
        }).on('error', reject).end();
      });
      expect(body).toBe('200 OK');
      await until('the other log listener to see the request end', () => ended.includes('/_ping'));
      writeFileSync(configPath, 'version: 1\nrules:\n  - from: docker.io\n    to: localhost:5000\n');
      await until('the edit to reach the other config listener', () => states.length > 0);
      expect(engine.config.get().config.rules).toHaveLength(1);
    } finally {
      await engine.stop();
    }
  });
});
