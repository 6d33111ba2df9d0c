// A real Distribution registry seen through a plain HTTP pass-through that moves one tag each
// time an engine resolves it: after every manifest request by that tag is answered, the tag is
// pointed at the next manifest (copied through the registry's own API) before the answer ends.
// Pulls that resolve the tag one after another therefore get different images, and pulls that
// overlap can too: the tag moves while they run. Never touches any engine. Loopback, so dockerd
// talks plain HTTP to it without configuration.
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';

/** Every manifest type an engine of either image store may have pushed. */
const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

interface Manifest {
  digest: string;
  type: string;
  body: Buffer;
}

export interface MovingTag {
  /** `127.0.0.1:PORT`: the registry as the engine sees it. */
  address: string;
  /** The manifest digests the tag was resolved to, in the order the engine was told them. */
  resolved: string[];
  stop(): Promise<void>;
}

async function getManifest(registry: string, repo: string, tag: string): Promise<Manifest> {
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, { headers: { Accept: MANIFEST_TYPES } });
  if (res.status !== 200) throw new Error(`GET manifest ${repo}:${tag} from ${registry}: HTTP ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  return { digest: `sha256:${createHash('sha256').update(body).digest('hex')}`, type: res.headers.get('content-type')!, body };
}

async function putManifest(registry: string, repo: string, tag: string, manifest: Manifest): Promise<void> {
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, { method: 'PUT', headers: { 'Content-Type': manifest.type }, body: new Uint8Array(manifest.body) });
  if (res.status !== 201) throw new Error(`PUT manifest ${repo}:${tag} to ${registry}: HTTP ${res.status} ${await res.text()}`);
}

/**
 * Serves `registry` and moves `repo:tag` round the manifests of `repo:sources[i]` (pushed there
 * beforehand, so their blobs are in the repository), starting with the first.
 */
export async function startMovingTag(registry: string, repo: string, tag: string, sources: string[]): Promise<MovingTag> {
  const manifests = await Promise.all(sources.map((source) => getManifest(registry, repo, source)));
  let current = 0;
  await putManifest(registry, repo, tag, manifests[current]!);
  const resolved: string[] = [];
  const byTag = `/v2/${repo}/manifests/${tag}`;
  const [host, port] = registry.split(':') as [string, string];

  const server: Server = createServer((req, res) => {
    const upstream = request({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers as IncomingHttpHeaders);
      answer.pipe(res, { end: false });
      answer.once('end', () => {
        if (req.url !== byTag || answer.statusCode !== 200) return res.end();
        resolved.push(String(answer.headers['docker-content-digest']));
        current = (current + 1) % manifests.length;
        putManifest(registry, repo, tag, manifests[current]!).then(() => res.end(), (err: Error) => res.destroy(err));
      });
    });
    upstream.once('error', (err) => res.destroy(err));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    resolved,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
