// "Check mirror": calls a mirror's `/v2/` the way the engine would (HTTPS, then plain HTTP
// for local addresses) and says reachable, needs login or unreachable, with the reason.
// Never sends the user's credentials anywhere.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { MirrorCheck } from '#shared/ipc';
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
      const status = await probe(url);
      if (status === 200) return { location, state: 'reachable', reason: `HTTP 200 from ${url}`, status: 200 };
      if (status === 401) {
        const creds = await credentialsFor(host, src);
        return {
          location, state: 'needs login', status: 401,
          reason: `HTTP 401 from ${url}: ${creds ? 'credentials for this host were found in your docker config and will be used' : `run "docker login ${host}"`}`,
        };
      }
      errors.push(`HTTP ${status} from ${url}`);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      errors.push(`${url}: ${code === 'ECONNREFUSED' ? 'connection refused' : (err as Error).message}`);
    }
  }
  return { location, state: 'unreachable', reason: errors.join('; ') };
}

/** The status of a GET, with node's own clients (fetch refuses some ports a registry may use). */
function probe(url: string): Promise<number> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', timeout: TIMEOUT_MS, headers: { 'User-Agent': 'docker-caching' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}
