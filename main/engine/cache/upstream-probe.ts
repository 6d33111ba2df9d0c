// Asks whether a cache's upstream registry answers at all (`GET /v2/`, any HTTP status
// counts), beside every pull through that cache, so a pull served with its upstream gone can
// say so. Never reads a body, never retries, never takes longer than its timeout.
import { registryGet } from './registry-get';

export async function upstreamAnswers(remote: string, timeoutMs: number): Promise<boolean> {
  let url: URL;
  try {
    url = new URL('/v2/', remote);
  } catch {
    return false;
  }
  return (await registryGet(url, timeoutMs)).ok;
}
