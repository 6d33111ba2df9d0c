// One private real dockerd and three Distribution registries for the integration run:
// a mirror (5000-range port), a registry playing "the original" upstream (not Docker Hub),
// and a mirror that requires a login. Ports are picked per run so runs cannot collide.
// In CI a missing engine is a failure, never a skip.
import type { TestProject } from 'vitest/node';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDockerd, startRegistry } from './real-docker';

declare module 'vitest' {
  export interface ProvidedContext {
    dockerHost: string;
    dockerSocket: string;
    mirror: string;
    origin: string;
    authMirror: string;
    authMirrorUser: string;
    authMirrorPassword: string;
  }
}

export default async function setup(project: TestProject) {
  const base = 20000 + (process.pid % 20000);
  const [mirrorPort, originPort, authPort] = [base, base + 1, base + 2];
  const htpasswdDir = mkdtempSync(join(tmpdir(), 'dc-htpasswd-'));
  const user = 'mirroruser';
  const password = `pw-${process.pid}-secret`;
  const hash = execFileSync('python3', ['-W', 'ignore', '-c', `import crypt,sys;print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))`, password]).toString().trim();
  const htpasswd = join(htpasswdDir, 'htpasswd');
  writeFileSync(htpasswd, `${user}:${hash}\n`);

  const registries = await Promise.all([
    startRegistry({ port: mirrorPort }),
    startRegistry({ port: originPort }),
    startRegistry({ port: authPort, htpasswd }),
  ]);
  const [mirror, origin, authMirror] = registries;
  const dockerd = await startDockerd(registries.map((r) => r.address));

  project.provide('dockerHost', dockerd.host);
  project.provide('dockerSocket', dockerd.socket);
  project.provide('mirror', mirror!.address);
  project.provide('origin', origin!.address);
  project.provide('authMirror', authMirror!.address);
  project.provide('authMirrorUser', user);
  project.provide('authMirrorPassword', password);

  return async () => {
    await dockerd.stop();
    await Promise.all(registries.map((r) => r.stop()));
  };
}
