// The user's credentials per registry host, looked up once and kept while the docker config
// file stays the same, for at most `ttlMs`. A credential helper (docker-credential-desktop,
// -osxkeychain, -pass, ...) is a process to start on every look-up, and a pull through a
// mirror or a cache with `credentials: true` looks up on every pull. `docker login` and
// `docker logout` write config.json, so they are seen on the next pull; a helper's store
// changed some other way (a Docker Desktop sign-in) within ttlMs.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { dockerConfigDir } from '../upstream/docker-context';
import { credentialsFor, type AuthConfig, type CredentialSource } from './registry-credentials';

export type CredentialLookup = (host: string) => Promise<AuthConfig | null>;

export interface RememberOptions {
  ttlMs?: number;
  /** The look-up itself (tests count its calls). */
  lookup?: (host: string, src: CredentialSource) => Promise<AuthConfig | null>;
  now?: () => number;
}

interface Remembered {
  file: string;
  at: number;
  creds: Promise<AuthConfig | null>;
}

/** What config.json is now, as far as a rewrite of it shows: none, or its inode, size and mtime. */
async function fileState(path: string): Promise<string> {
  try {
    const s = await stat(path, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch {
    return 'none';
  }
}

export function rememberedCredentials(src: CredentialSource, opts: RememberOptions = {}): CredentialLookup {
  const ttlMs = opts.ttlMs ?? 30_000;
  const lookup = opts.lookup ?? credentialsFor;
  const now = opts.now ?? Date.now;
  const path = join(dockerConfigDir(src), 'config.json');
  const kept = new Map<string, Remembered>();
  return async (host) => {
    const file = await fileState(path);
    const held = kept.get(host);
    if (held && held.file === file && now() - held.at < ttlMs) return held.creds;
    // Kept as a promise: pulls that ask at once share one helper run.
    const creds = lookup(host, src);
    kept.set(host, { file, at: now(), creds });
    return creds;
  };
}
