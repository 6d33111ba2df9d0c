// `docker-caching cache status|up|down|clear|compose [REGISTRY] [--config FILE] [--upstream URL] [--json]`:
// the local caches for servers and CI, run by the same CacheManager the engine uses.
// Exits 1 with a one-line error for an invalid config, an unknown registry or an engine
// that cannot be reached; never touches containers or volumes docker-caching did not make.
import { homedir } from 'node:os';
import { parseArgs } from 'node:util';
import type { Config } from '#shared/config/schema';
import { cachedRegistries } from '#shared/config/cache-schema';
import { formatProblem } from '#shared/config/validate';
import { defaultConfigPath } from '../engine/config/config-paths';
import { loadConfigFile } from '../engine/config/config-file';
import { defaultListenPath } from '../engine/proxy/listen-socket';
import { findEngine } from '../engine/upstream/find-engine';
import { EngineClient } from '../engine/upstream/engine-client';
import { CacheManager, type CacheRegistryStatus } from '../engine/cache/cache-manager';
import { composeFile } from '../engine/cache/compose-file';
import { cacheUsagePath, upstreamLogin } from '../engine/cache/cache-setup';
import { rememberedCredentials } from '../engine/rewrite/remembered-credentials';
import { formatBytes } from './log-line';

interface Io {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  env: NodeJS.ProcessEnv;
}

const USAGE = 'usage: docker-caching cache status|up|down|clear|compose [REGISTRY] [--config FILE] [--upstream URL] [--json]';
const ACTIONS = ['status', 'up', 'down', 'clear', 'compose'] as const;
type Action = (typeof ACTIONS)[number];

export async function cacheCommand(args: string[], io: Io): Promise<number> {
  let values: { config?: string; upstream?: string; json?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      options: { config: { type: 'string' }, upstream: { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    io.stderr.write(`docker-caching cache: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const [action, registry, ...extra] = positionals;
  if (!ACTIONS.includes(action as Action) || extra.length > 0) {
    io.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const home = homedir();
  const configPath = values.config ?? defaultConfigPath({ env: io.env, home, platform: process.platform });
  const read = await loadConfigFile(configPath).catch((err: Error) => ({ ok: false as const, message: err.message }));
  if (!read.ok) {
    io.stderr.write(`docker-caching cache: ${'problem' in read ? formatProblem(read.problem) : read.message}\n`);
    return 1;
  }
  const config: Config = read.config;
  const known = cachedRegistries(config.cache).map((r) => r.registry);
  // down and clear also take a registry the config no longer caches: its container may remain.
  if (registry !== undefined && !known.includes(registry) && action !== 'down' && action !== 'clear') {
    io.stderr.write(`docker-caching cache: ${registry} is not a cached registry in ${configPath} (cached: ${known.join(', ') || 'none'})\n`);
    return 1;
  }
  if (action === 'compose') {
    io.stdout.write(composeFile(config.cache, registry));
    return 0;
  }

  let engine: EngineClient;
  try {
    const upstream = findEngine({
      flag: values.upstream, configured: config.upstream, configPath, env: io.env, home,
      ownSocket: config.listen ?? defaultListenPath(io.env, home),
    });
    engine = new EngineClient(() => upstream.address);
  } catch (err) {
    io.stderr.write(`docker-caching cache: ${(err as Error).message}\n`);
    return 1;
  }
  const credentials = rememberedCredentials({ env: io.env, home });
  const manager = new CacheManager({
    engine,
    settings: () => config.cache,
    usagePath: cacheUsagePath(configPath),
    login: (host) => upstreamLogin(host, credentials),
  });
  const only = registry === undefined ? undefined : [registry];
  try {
    switch (action as Exclude<Action, 'compose'>) {
      case 'status': {
        // Asked for by name: measured now, not the estimate a running engine may hold.
        const status = await manager.status({ exact: true });
        const rows = status.registries.filter((r) => only === undefined || only.includes(r.registry));
        if (values.json) {
          for (const row of rows) io.stdout.write(JSON.stringify(jsonRow(row)) + '\n');
        } else {
          io.stdout.write(`local cache: ${status.enabled ? 'on' : 'off'}, ${formatBytes(status.totalBytes)} of ${formatBytes(status.maxSizeBytes)} on ${engine.address}\n`);
          for (const row of rows) io.stdout.write(textRow(row) + '\n');
        }
        return 0;
      }
      case 'up': {
        const results = await manager.up(only);
        let failed = 0;
        for (const { registry: r, result } of results) {
          const made = result.ok && result.recreated ? { recreated: result.recreated } : {};
          if (values.json) io.stdout.write(JSON.stringify({ registry: r, ok: result.ok, ...(result.ok ? { address: result.address, ...made } : { error: result.reason }) }) + '\n');
          else io.stdout.write(result.ok ? `${r}: running at ${result.address}${made.recreated ? ` (made again: ${made.recreated})` : ''}\n` : `${r}: ${result.reason}\n`);
          if (!result.ok) failed++;
        }
        return failed ? 1 : 0;
      }
      case 'down':
      case 'clear': {
        const removed = action === 'down' ? await manager.down(only) : await manager.clear(only);
        if (values.json) io.stdout.write(JSON.stringify({ removed }) + '\n');
        else io.stdout.write(removed.length ? `removed ${removed.join(', ')}\n` : 'nothing to remove\n');
        return 0;
      }
    }
  } catch (err) {
    io.stderr.write(`docker-caching cache: ${(err as Error).message} (engine ${engine.address})\n`);
    return 1;
  } finally {
    engine.close();
  }
}

function jsonRow(row: CacheRegistryStatus): Record<string, unknown> {
  return { registry: row.registry, port: row.port, state: row.state, container: row.container, sizeBytes: row.sizeBytes, remote: row.remote, ...(row.error ? { error: row.error } : {}) };
}

function textRow(row: CacheRegistryStatus): string {
  const size = row.sizeBytes === null ? '-' : formatBytes(row.sizeBytes);
  return `  ${row.registry.padEnd(20)} 127.0.0.1:${String(row.port).padEnd(6)} ${row.state.padEnd(12)} ${size.padStart(9)}  ${row.remote}${row.error ? `  (${row.error})` : ''}`;
}
