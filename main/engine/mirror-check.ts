// "Check mirror": calls a mirror's `/v2/` the way the engine would (HTTPS, then plain HTTP
// for local addresses) and says reachable, needs login or unreachable, with the reason.
// Never sends the user's credentials anywhere.
import type { MirrorCheck } from '../../shared/ipc';
import { credentialsFor, type CredentialSource } from './registry-credentials';

const TIMEOUT_MS = 5_000;

export async function checkMirror(location: string, src: CredentialSource): Promise<MirrorCheck> {
  const host = location.split('/')[0]!;
  if (!/^[a-zA-Z0-9.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:.]+\](:\d{1,5})?$/.test(host)) {
    return { location, state: 'unreachable', reason: `"${location}" is not a registry location such as localhost:5000` };
  }
  const local = /^(localhost|127\.|\[::1\])/.test(host);
  const schemes = local ? ['http', 'https'] : ['https', 'http'];
  const errors: string[] = [];
  for (const scheme of schemes) {
    const url = `${scheme}://${host}/v2/`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual' });
      await res.body?.cancel();
      if (res.status === 200) return { location, state: 'reachable', reason: `HTTP 200 from ${url}`, status: 200 };
      if (res.status === 401) {
        const creds = await credentialsFor(host, src);
        return {
          location, state: 'needs login', status: 401,
          reason: `HTTP 401 from ${url}: ${creds ? 'credentials for this host were found in your docker config and will be used' : `run "docker login ${host}"`}`,
        };
      }
      errors.push(`HTTP ${res.status} from ${url}`);
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      errors.push(`${url}: ${cause?.code === 'ECONNREFUSED' ? 'connection refused' : cause?.message ?? (err as Error).message}`);
    }
  }
  return { location, state: 'unreachable', reason: errors.join('; ') };
}
