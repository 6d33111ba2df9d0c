// What the local cache's tests share: the registry image built once per engine, config files
// that cache one registry from a local "upstream" (on ports from ./free-port, never the fixed
// 5050s, which other runs and the user's own caches may hold), a look inside a cache's volume,
// and removal of every container and volume the tests' caches made.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker } from './real-docker';
import { buildRegistryImage } from './registry-image';

export const REGISTRY_IMAGE = 'dc-test/registry:2';
const built = new Set<string>();

/** The registry image in the engine at `host`, built on first use. */
export function registryImage(host: string): string {
  if (!built.has(host)) {
    buildRegistryImage(host, REGISTRY_IMAGE);
    built.add(host);
  }
  return REGISTRY_IMAGE;
}

export interface CacheConfigOptions {
  image: string;
  /** Cached registry -> its port and upstream (and the port of its debug server, default port + 100). */
  registries: Record<string, { port: number; remote: string; debugPort?: number; credentials?: boolean }>;
  maxSize?: string;
  enabled?: boolean;
  /** `host` unless given: the bridge needs an engine with one (and an upstream it can reach). */
  network?: 'host' | 'bridge';
  rules?: string;
}

const DEFAULT_REGISTRIES = ['docker.io', 'ghcr.io', 'quay.io', 'registry.k8s.io', 'gcr.io', 'public.ecr.aws', 'mcr.microsoft.com'];

/** Config text caching only the given registries, in the host network unless told otherwise. */
export function cacheConfigText(opts: CacheConfigOptions): string {
  const lines = ['version: 1', ...(opts.rules ? [opts.rules] : []), 'cache:', `  enabled: ${opts.enabled ?? true}`, `  image: ${opts.image}`, `  network: ${opts.network ?? 'host'}`];
  if (opts.maxSize) lines.push(`  maxSize: ${opts.maxSize}`);
  lines.push('  registries:');
  for (const registry of DEFAULT_REGISTRIES) if (!(registry in opts.registries)) lines.push(`    ${registry}: false`);
  for (const [registry, { port, remote, debugPort, credentials }] of Object.entries(opts.registries)) {
    const more = `${debugPort !== undefined ? `, debugPort: ${debugPort}` : ''}${credentials !== undefined ? `, credentials: ${credentials}` : ''}`;
    lines.push(`    ${registry}: {port: ${port}, remote: "${remote}"${more}}`);
  }
  return lines.join('\n') + '\n';
}

/** Writes a config file in a new temp folder; returns its path. */
export function writeCacheConfig(opts: CacheConfigOptions, dir = mkdtempSync(join(tmpdir(), 'dc-cache-'))): string {
  const path = join(dir, 'config.yaml');
  writeFileSync(path, cacheConfigText(opts));
  return path;
}

/** The repositories a cache's volume holds (`library/alpine`, ...), read with the registry image's shell. */
export function cachedRepositories(host: string, volume: string): string[] {
  const out = docker(host, ['run', '--rm', '--network', 'none', '-v', `${volume}:/var/lib/registry`, '--entrypoint', 'sh', REGISTRY_IMAGE, '-c',
    'cd /var/lib/registry/docker/registry/v2/repositories 2>/dev/null && for d in */*; do [ -d "$d/_manifests" ] && echo "$d"; done; true']);
  return out.split('\n').filter(Boolean).sort();
}

/** The blob digests a cache's volume holds. */
export function cachedBlobs(host: string, volume: string): string[] {
  const out = docker(host, ['run', '--rm', '--network', 'none', '-v', `${volume}:/var/lib/registry`, '--entrypoint', 'sh', REGISTRY_IMAGE, '-c',
    'cd /var/lib/registry/docker/registry/v2/blobs/sha256 2>/dev/null && ls -d */* 2>/dev/null | sed "s#.*/##"; true']);
  return out.split('\n').filter(Boolean).sort();
}

/** Removes the named containers and volumes (the ones a test's caches made), whoever holds them. */
export function removeCaches(host: string, names: string[]): void {
  const quietly = (args: string[]) => {
    try {
      execFileSync('/usr/local/bin/docker', args, { env: { ...process.env, DOCKER_HOST: host }, stdio: 'ignore' });
    } catch {
      // already gone
    }
  };
  for (const name of names) quietly(['rm', '-f', name]);
  for (const name of names) quietly(['volume', 'rm', '-f', name]);
}
