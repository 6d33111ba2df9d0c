// Docker context integration through Docker's own files (honouring DOCKER_CONFIG and
// DOCKER_CONTEXT): read the current context, switch docker commands to our proxy socket and
// back. Never imports electron; never rewrites config.json except its `currentContext`.
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomicSync } from '../atomic-write';

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
    throw new Error(`cannot read ${file} (${(err as Error).message}): fix or remove the file, then try again`, { cause: err });
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

/** The docker endpoint URL for a socket we listen on (`unix:///…`, or `npipe:////./pipe/…` on Windows). */
export function endpointFor(socketPath: string): string {
  const pipe = /^[\\/]{2}\.[\\/]pipe[\\/](.+)$/.exec(socketPath);
  return pipe ? `npipe:////./pipe/${pipe[1]}` : `unix://${socketPath}`;
}

/** Where we remember the context to restore: a file of our own, never one of Docker's. */
export interface ContextState {
  /** The `currentContext` of config.json before we switched, null for the default context. */
  previousContext: string | null;
}

/** Our state file for a config file: beside it, so each config (and test run) has its own. */
export function contextStatePath(configPath: string): string {
  return join(dirname(configPath), 'docker-context.json');
}

export interface ContextSwitchOptions extends DockerEnv {
  /** Our state file (next to our config) remembering the previous context. */
  statePath: string;
}

/** Whether docker commands that follow config.json use our context right now. */
export function proxyContextActive(opts: DockerEnv): boolean {
  try {
    return readDockerConfig(dockerConfigDir(opts)).currentContext === CONTEXT_NAME;
  } catch {
    return false;
  }
}

/** The context we will restore on switch-off, if we switched: undefined when we did not. */
export function rememberedPreviousContext(statePath: string): string | null | undefined {
  let state: unknown;
  try {
    state = JSON.parse(readFileSync(statePath, 'utf8'));
  } catch {
    return undefined;
  }
  const previous = (state as Partial<ContextState> | null)?.previousContext;
  if (previous === null) return null;
  // Never remember ourselves: restoring to our own context would leave docker on our socket.
  return typeof previous === 'string' && previous !== CONTEXT_NAME ? previous : undefined;
}

/**
 * The endpoint docker commands used before docker-caching took over: the current context's,
 * or, when that is ours, the one we remembered. What upstream discovery should proxy to.
 */
export function upstreamContextEndpoint(opts: ContextSwitchOptions): ContextEndpoint | null {
  const current = currentContextEndpoint(opts);
  if (current?.name !== CONTEXT_NAME) return current;
  const previous = rememberedPreviousContext(opts.statePath);
  return previous ? contextEndpoint(previous, opts) : null;
}

export interface SwitchResult {
  /** The context config.json named before the switch (null: default). */
  previousContext: string | null;
  /** Set when the environment will keep docker commands elsewhere, in words a user can act on. */
  warning?: string;
}

/**
 * Creates or updates the `docker-caching` context (endpoint: our socket) and makes it
 * config.json's current context, remembering the previous one in our state file.
 */
export function useProxyContext(opts: ContextSwitchOptions & { socketPath: string }): SwitchResult {
  const dir = dockerConfigDir(opts);
  const config = readDockerConfig(dir);
  const current = typeof config.currentContext === 'string' && config.currentContext !== '' && config.currentContext !== 'default'
    ? config.currentContext
    : null;
  const remembered = rememberedPreviousContext(opts.statePath);
  // Already ours (a second switch-on, or a crash before restoring): keep what we remembered.
  const previousContext = current === CONTEXT_NAME ? (remembered ?? null) : current;

  const meta = {
    Name: CONTEXT_NAME,
    Metadata: { Description: 'docker-caching: pulls redirected to your mirrors' },
    Endpoints: { docker: { Host: endpointFor(opts.socketPath), SkipTLSVerify: false } },
  };
  writeFileAtomic(contextMetaPath(dir, CONTEXT_NAME), JSON.stringify(meta), 0o644);
  writeFileAtomic(opts.statePath, JSON.stringify({ previousContext } satisfies ContextState, null, 2) + '\n', 0o600);
  if (current !== CONTEXT_NAME) writeDockerConfig(dir, { ...config, currentContext: CONTEXT_NAME });

  const envContext = opts.env.DOCKER_CONTEXT;
  const envHost = opts.env.DOCKER_HOST;
  const warning = envHost
    ? `DOCKER_HOST=${envHost} is set, so docker commands run with it ignore contexts: unset DOCKER_HOST to use docker-caching`
    : envContext && envContext !== CONTEXT_NAME
      ? `DOCKER_CONTEXT=${envContext} is set, so docker commands run with it keep using that context: unset DOCKER_CONTEXT to use docker-caching`
      : undefined;
  return warning ? { previousContext, warning } : { previousContext };
}

export interface RestoreResult {
  /** Whether config.json was changed. */
  changed: boolean;
  /** config.json's current context afterwards (null: default). */
  currentContext: string | null;
}

/**
 * Switches config.json back to the context remembered by `useProxyContext` (the default
 * context when none), but only while ours is still current: a context the user picked since
 * is left alone. Forgets the remembered context either way.
 */
export function restorePreviousContext(opts: ContextSwitchOptions): RestoreResult {
  const dir = dockerConfigDir(opts);
  const config = readDockerConfig(dir);
  const remembered = rememberedPreviousContext(opts.statePath) ?? null;
  let result: RestoreResult;
  if (config.currentContext === CONTEXT_NAME) {
    const { currentContext: _ours, ...rest } = config;
    writeDockerConfig(dir, remembered === null ? rest : { ...config, currentContext: remembered });
    result = { changed: true, currentContext: remembered };
  } else {
    const current = typeof config.currentContext === 'string' && config.currentContext !== '' ? config.currentContext : null;
    result = { changed: false, currentContext: current };
  }
  rmSync(opts.statePath, { force: true });
  return result;
}

function writeDockerConfig(dir: string, config: Record<string, unknown>): void {
  // Docker writes config.json tab-indented; it may hold credentials, so a new file is 0600.
  writeFileAtomic(join(dir, 'config.json'), JSON.stringify(config, null, '\t'), 0o600);
}

/** Writes atomically (atomic-write.ts), keeping an existing file's mode. */
function writeFileAtomic(path: string, content: string, newFileMode: number): void {
  try {
    writeFileAtomicSync(path, content, { mode: newFileMode, keepMode: true, folderMode: 0o755 });
  } catch (err) {
    throw new Error(`cannot write ${path} (${(err as Error).message}): check that its folder is writable`, { cause: err });
  }
}
