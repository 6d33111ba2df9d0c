// A hostile registry for secret-handling tests: a tiny HTTP server posing as a registry that
// asks for Basic credentials and then refuses every request with an error text that echoes
// the Authorization header it got, the decoded user:password, a newline with a forged log
// line and ANSI escapes. Loopback, so dockerd talks plain HTTP to it without configuration.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EchoRegistry {
  /** `127.0.0.1:PORT` */
  address: string;
  /** Authorization headers received, in order. */
  seen: string[];
  stop(): Promise<void>;
}

export const FORGED_LINE = '2026-01-01T00:00:00.000Z GET /forged 200 0.1ms in=0B out=0B';

export async function startEchoRegistry(): Promise<EchoRegistry> {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    const auth = req.headers.authorization;
    if (!auth) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="echo"', 'Content-Type': 'application/json', 'Docker-Distribution-API-Version': 'registry/2.0' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required', detail: null }] }));
      return;
    }
    seen.push(auth);
    const decoded = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8') : auth;
    const message = `you sent ${auth} (that is ${decoded}, password ${decoded.split(':').slice(1).join(':')})\n${FORGED_LINE}\u001b[2J\u001b[31m`;
    res.writeHead(403, { 'Content-Type': 'application/json', 'Docker-Distribution-API-Version': 'registry/2.0' });
    res.end(JSON.stringify({ errors: [{ code: 'DENIED', message, detail: null }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    seen,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
