// A registry token server for tests of Bearer-challenge registries (Docker Hub's kind of
// auth): checks a Basic user:password, answers a JWT signed RS256 whose header carries the
// self-signed certificate (x5c) Distribution's `auth: token` trusts through its
// `rootcertbundle`, with the access the scope asks for. The key and certificate are made at
// start with openssl in a temp folder. Records who asked for which scope, never a password.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TokenServer {
  /** The realm registries send clients to: `http://127.0.0.1:PORT/token`. */
  realm: string;
  service: string;
  issuer: string;
  /** The certificate file a registry's `rootcertbundle` names. */
  rootCertBundle: string;
  /** Each token request: the user that asked (null: anonymous or refused) and its scope. */
  requests: { user: string | null; granted: boolean; scope: string }[];
  stop(): Promise<void>;
}

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export async function startTokenServer(users: Record<string, string>, service = 'dc-test-registry', issuer = 'dc-test-issuer'): Promise<TokenServer> {
  const dir = mkdtempSync(join(tmpdir(), 'dc-token-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', `/CN=${issuer}`], { stdio: 'pipe' });
  const key = createPrivateKey(readFileSync(keyPath));
  const der = new X509Certificate(readFileSync(certPath)).raw.toString('base64');
  const requests: TokenServer['requests'] = [];

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const scope = url.searchParams.getAll('scope').join(' ');
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const [user, ...rest] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':') : [];
    const granted = url.pathname === '/token' && user !== undefined && users[user] !== undefined && users[user] === rest.join(':');
    requests.push({ user: user ?? null, granted, scope });
    if (!granted) {
      res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Basic realm="dc-test-token"' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'a valid user and password are needed' }] }));
      return;
    }
    // `repository:library/x:pull,push` -> [{type, name, actions}]
    const access = scope.split(' ').filter(Boolean).map((s) => {
      const [type, ...middle] = s.split(':');
      const actions = middle.pop() ?? '';
      return { type, name: middle.join(':'), actions: actions.split(',').filter(Boolean) };
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [der] };
    // Distribution 2.8 reads `aud` as one string.
    const claims = { iss: issuer, sub: user, aud: url.searchParams.get('service') ?? service, exp: now + 600, nbf: now - 60, iat: now, jti: randomUUID(), access };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const token = `${signingInput}.${base64url(sign('sha256', Buffer.from(signingInput), key))}`;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 600, issued_at: new Date(now * 1000).toISOString() }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    rootCertBundle: certPath,
    requests,
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
