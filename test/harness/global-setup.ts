// One private real dockerd and three Distribution registries per integration project: a
// mirror, a registry playing "the original" upstream (not Docker Hub), and a mirror that
// requires a login. The dockerd has a bridge of its own (bridge-network containers, ports
// published on 127.0.0.1 by docker-proxy; no iptables). The `integration` project runs on dockerd 20.10 (classic image store),
// `integration-containerd` on dockerd 26.1 with the containerd image store. Ports are picked
// per run and project so runs cannot collide. A missing engine, CLI or service fails the run
// with its name (test/harness/requirements.ts), never a skip.
import type { TestProject } from 'vitest/node';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDockerd, startRegistry, type EngineKind } from './real-docker';
import { CLASSIC_ENGINE, CONTAINERD_ENGINE, requireAll } from './requirements';

declare module 'vitest' {
  export interface ProvidedContext {
    engineKind: EngineKind;
    dockerHost: string;
    dockerSocket: string;
    mirror: string;
    origin: string;
    authMirror: string;
    authMirrorUser: string;
    authMirrorPassword: string;
    /** The host's address on the engine's own bridge: containers on the bridge reach the host here. */
    bridgeGateway: string;
  }
}

export const CONTAINERD_PROJECT = 'integration-containerd';

export default async function setup(project: TestProject) {
  const kind: EngineKind = project.name === CONTAINERD_PROJECT ? 'containerd' : 'classic';
  requireAll(kind === 'classic' ? CLASSIC_ENGINE : [...CLASSIC_ENGINE, ...CONTAINERD_ENGINE]);
  const base = 20000 + ((process.pid * 7) % 20000) + (kind === 'classic' ? 0 : 10);
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
  const stopRegistries = async () => {
    await Promise.allSettled(registries.map((r) => r.stop()));
    rmSync(htpasswdDir, { recursive: true, force: true });
  };
  // With a bridge of its own, so the cache's default `network: bridge` is tested too.
  const dockerd = await startDockerd(registries.map((r) => r.address), kind, 'bridge').catch(async (err: unknown) => {
    await stopRegistries();
    throw err;
  });

  project.provide('engineKind', kind);
  project.provide('dockerHost', dockerd.host);
  project.provide('dockerSocket', dockerd.socket);
  project.provide('mirror', mirror!.address);
  project.provide('origin', origin!.address);
  project.provide('authMirror', authMirror!.address);
  project.provide('authMirrorUser', user);
  project.provide('authMirrorPassword', password);
  project.provide('bridgeGateway', dockerd.bridge!.gateway);

  return async () => {
    try {
      await dockerd.stop();
    } finally {
      await stopRegistries();
    }
  };
}
