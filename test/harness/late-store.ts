// A real Distribution registry seen through a plain HTTP pass-through that makes a cache's
// store of a blob end well after the engine has the blob. Distribution 2.8 in proxy mode
// fetches a blob new to it twice at once, once to send and once to store (a goroutine that
// counts the blob only when its copy ends); here the second GET of each blob waits until
// `lagMs` after the first one ended. The send usually asks first (the store makes its upload
// before asking), so the store usually ends `lagMs` after the engine has the blob.
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LateStore {
  /** `127.0.0.1:PORT`: the registry as the cache sees it. */
  address: string;
  /** Blob GETs that were held back. */
  held(): number;
  stop(): Promise<void>;
}

export async function startLateStore(registry: string, lagMs: number): Promise<LateStore> {
  const [host, port] = registry.split(':') as [string, string];
  const firstEnded = new Map<string, Promise<void>>();
  let held = 0;

  const forward = (req: IncomingMessage, res: ServerResponse, ended?: () => void) => {
    const upstream = request({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers as IncomingHttpHeaders);
      answer.pipe(res);
      answer.once('end', () => ended?.());
    });
    upstream.once('error', (err) => res.destroy(err));
    req.pipe(upstream);
  };

  const server: Server = createServer((req, res) => {
    const blob = req.method === 'GET' ? /\/blobs\/(sha256:[0-9a-f]{64})$/.exec(req.url ?? '')?.[1] : undefined;
    if (!blob) return forward(req, res);
    const first = firstEnded.get(blob);
    if (!first) {
      let done!: () => void;
      firstEnded.set(blob, new Promise<void>((resolve) => { done = () => setTimeout(resolve, lagMs); }));
      return forward(req, res, done);
    }
    held += 1;
    void first.then(() => forward(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: () => held,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
