// The user's own Docker credentials for one registry host, read the way the docker CLI
// does (~/.docker/config.json: credHelpers, credsStore, auths), encoded as the engine
// expects in X-Registry-Auth. Credentials for one host are never returned for another.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dockerConfigDir } from '../upstream/docker-context';

export interface AuthConfig {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress: string;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

const HUB_KEY = 'https://index.docker.io/v1/';

/** The key docker uses for a registry host in config.json. */
export function configKeyFor(host: string): string {
  return host === 'docker.io' || host === 'index.docker.io' || host === 'registry-1.docker.io' ? HUB_KEY : host;
}

/** `https://host/v1/` -> `host`, so entries written by `docker login` in any form match. */
function hostOfKey(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
}

/** Encodes an AuthConfig as X-Registry-Auth: base64url WITH padding (Go's URLEncoding). */
export function encodeRegistryAuth(auth: AuthConfig | Record<string, never>): string {
  return Buffer.from(JSON.stringify(auth)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

export function decodeRegistryAuth(header: string): Record<string, unknown> | null {
  try {
    return JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

export interface CredentialSource {
  env: NodeJS.ProcessEnv;
  home: string;
}

export async function readDockerConfigFile(src: CredentialSource): Promise<DockerConfigFile> {
  try {
    return JSON.parse(await readFile(join(dockerConfigDir(src), 'config.json'), 'utf8')) as DockerConfigFile;
  } catch {
    return {};
  }
}

/** The user's credentials for `host` (a registry domain, with port if any), or null. */
export async function credentialsFor(host: string, src: CredentialSource): Promise<AuthConfig | null> {
  const file = await readDockerConfigFile(src);
  const key = configKeyFor(host);
  const wanted = hostOfKey(key);
  const helper = Object.entries(file.credHelpers ?? {}).find(([k]) => hostOfKey(k) === wanted)?.[1] ?? file.credsStore;
  if (helper) {
    const fromHelper = await askHelper(helper, key, src.env).catch(() => null);
    if (fromHelper) return fromHelper;
  }
  const entry = Object.entries(file.auths ?? {}).find(([k]) => hostOfKey(k) === wanted)?.[1];
  if (!entry) return null;
  if (entry.identitytoken) return { identitytoken: entry.identitytoken, serveraddress: key };
  let { username, password } = entry;
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) [username, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  }
  return username && password ? { username, password, serveraddress: key } : null;
}

function askHelper(helper: string, serverURL: string, env: NodeJS.ProcessEnv): Promise<AuthConfig | null> {
  if (!/^[a-zA-Z0-9_.-]+$/.test(helper)) return Promise.resolve(null);
  return new Promise((resolve) => {
    const child = execFile(`docker-credential-${helper}`, ['get'], { env, timeout: 10_000 }, (err, stdout) => {
      if (err) return resolve(null);
      try {
        const { Username, Secret } = JSON.parse(stdout) as { Username?: string; Secret?: string };
        if (!Secret) return resolve(null);
        resolve(Username === '<token>' ? { identitytoken: Secret, serveraddress: serverURL } : { username: Username, password: Secret, serveraddress: serverURL });
      } catch {
        resolve(null);
      }
    });
    child.stdin?.end(serverURL);
  });
}
