// Docker context integration: reads which context the docker CLI uses and its endpoint,
// from Docker's own files (honouring DOCKER_CONFIG and DOCKER_CONTEXT). Never imports electron.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The name of the context docker-caching creates for its proxy socket. */
export const CONTEXT_NAME = 'docker-caching';

export interface DockerEnv {
  env: NodeJS.ProcessEnv;
  home: string;
}

export interface ContextEndpoint {
  name: string;
  host: string;
}

/** The docker CLI's config directory: `DOCKER_CONFIG`, else `~/.docker`. */
export function dockerConfigDir({ env, home }: DockerEnv): string {
  return env.DOCKER_CONFIG || join(home, '.docker');
}

/** Where Docker keeps a context's metadata: the folder is named by the sha256 of the context name. */
export function contextMetaPath(configDir: string, name: string): string {
  return join(configDir, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'), 'meta.json');
}

/** The parsed `config.json`, `{}` when there is none. Throws a sentence when it is not a JSON object. */
export function readDockerConfig(configDir: string): Record<string, unknown> {
  const file = join(configDir, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`cannot read ${file} (${(err as Error).message}): fix or remove the file, then try again`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`cannot read ${file}: it must hold a JSON object; fix or remove the file, then try again`);
  }
  return parsed as Record<string, unknown>;
}

/** The context the docker CLI uses (DOCKER_CONTEXT, else `currentContext`), null for the default one. */
export function currentContextName(opts: DockerEnv): string | null {
  const fromEnv = opts.env.DOCKER_CONTEXT;
  const name = fromEnv !== undefined && fromEnv !== '' ? fromEnv : readDockerConfig(dockerConfigDir(opts)).currentContext;
  return typeof name === 'string' && name !== '' && name !== 'default' ? name : null;
}

/** A named context's docker endpoint, or null when the context does not exist or has no docker endpoint. */
export function contextEndpoint(name: string, opts: DockerEnv): ContextEndpoint | null {
  let meta: unknown;
  try {
    meta = JSON.parse(readFileSync(contextMetaPath(dockerConfigDir(opts), name), 'utf8'));
  } catch {
    return null;
  }
  const host = (meta as { Endpoints?: { docker?: { Host?: unknown } } } | null)?.Endpoints?.docker?.Host;
  return typeof host === 'string' && host !== '' ? { name, host } : null;
}

/** The current docker context's endpoint (DOCKER_CONTEXT env, else config.json currentContext), or null for the default context / none. */
export function currentContextEndpoint(opts: { env: NodeJS.ProcessEnv; home: string }): { name: string; host: string } | null {
  let name: string | null;
  try {
    name = currentContextName(opts);
  } catch {
    // An unreadable config.json means the docker CLI itself would fail; discovery moves on.
    return null;
  }
  return name === null ? null : contextEndpoint(name, opts);
}
