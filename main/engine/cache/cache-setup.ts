// What the engine and the `cache` command both need to run a CacheManager: where the
// record of pulls lives (beside the config file) and the user's login for a cache with
// `credentials: true`. The login goes only into the cache container of the host it is for.
import { dirname, join } from 'node:path';
import type { CredentialLookup } from '../rewrite/remembered-credentials';
import type { UpstreamLogin } from './cache-specs';

export function cacheUsagePath(configPath: string): string {
  return join(dirname(configPath), 'cache-usage.json');
}

/** The user's docker login for the registry `host` as Distribution's proxy takes it, if there is one. */
export async function upstreamLogin(host: string, credentials: CredentialLookup): Promise<UpstreamLogin | undefined> {
  const creds = await credentials(host);
  if (creds?.username && creds.password) return { username: creds.username, password: creds.password };
  return undefined;
}
