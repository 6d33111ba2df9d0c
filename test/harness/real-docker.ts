// Starts and stops the real parts tests run against: a private dockerd and Distribution
// registries, each in its own temp folder, stopped by pid (never by name).
// Recipe: the team handbook's testing.md.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, openSync, closeSync, cpSync, symlinkSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunningProcess {
  pid: number;
  dir: string;
  stop(): Promise<void>;
}

export interface Dockerd extends RunningProcess {
  socket: string;
  host: string;
  kind: EngineKind;
  /** The engine's own bridge (`network: 'bridge'`): containers reach the host at its gateway. */
  bridge?: { name: string; gateway: string; subnet: string };
}

export interface Registry extends RunningProcess {
  /** `127.0.0.1:PORT`, or `HOST:PORT` for another listen address */
  address: string;
}

import { DOCKER_CLIS, DOCKER26_ROOT } from './requirements';
import { createPrivateBridge, type PrivateBridge } from './private-bridge';
import { whileLive } from './stop-on-signal';

export { DOCKER_CLIS };

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, child: ChildProcess, log: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}; see ${log}`);
    try {
      if (await check()) return;
    } catch {
      // not ready yet
    }
    await sleep(100);
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms; see ${log}`);
}

/** Stops the child (SIGTERM, SIGKILL after 15 s) and removes its folder once it has exited. */
function stopper(child: ChildProcess, dir: string): () => Promise<void> {
  return whileLive(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    removeFolder(dir);
  });
}

/**
 * Removes a stopped engine's folder. dockerd can leave mounts behind in it (its netns for
 * host-network containers): those are unmounted first, deepest first. Never throws: a folder
 * that cannot go is reported and left to the run's temp root.
 */
export function removeFolder(dir: string): void {
  const mountPoints = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((line) => line.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((point): point is string => !!point && point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of mountPoints) {
    try {
      execFileSync('umount', ['-l', point], { stdio: 'pipe' });
    } catch (err) {
      console.warn(`cannot unmount ${point}: ${(err as Error).message}`);
    }
  }
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (err) {
    console.warn(`cannot remove ${dir}: ${(err as Error).message}`);
  }
}

/**
 * `classic`: Debian 12's dockerd 20.10 (API 1.41) with the vfs graph driver and its own image
 * store. `containerd`: Debian 13's dockerd 26.1 (API 1.45) from /opt/docker26 with the
 * containerd image store (the default of the Docker releases users install today): image IDs
 * are manifest digests, pushes are OCI manifests.
 */
export type EngineKind = 'classic' | 'containerd';

/**
 * `none`: no bridge at all (`--bridge=none`), containers run with `--network none` or `host`.
 * `bridge`: a private bridge of this engine's own (never docker0, see private-bridge.ts) as
 * its default network, without iptables (shared by every engine on the machine): published
 * ports go through docker-proxy, the userland proxy, and containers reach the host at the
 * bridge's gateway. Registries listening there are insecure registries of the engine.
 */
export type EngineNetwork = 'none' | 'bridge';

function logFile(dir: string, name: string): { path: string; fd: number } {
  const path = join(dir, name);
  return { path, fd: openSync(path, 'a') };
}

export async function startDockerd(insecureRegistries: string[], kind: EngineKind = 'classic', network: EngineNetwork = 'none'): Promise<Dockerd> {
  const dir = mkdtempSync(join(tmpdir(), 'dc-dockerd-'));
  const socket = join(dir, 'docker.sock');
  const log = logFile(dir, 'dockerd.log');
  let bridge: PrivateBridge | undefined;
  try {
    bridge = network === 'bridge' ? createPrivateBridge() : undefined;
  } catch (err) {
    removeFolder(dir);
    throw new Error(`the test engine's private bridge cannot be made here: ${(err as Error).message}`, { cause: err });
  }
  const args = [
    '--host', `unix://${socket}`, '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'),
    '--pidfile', join(dir, 'dockerd.pid'), '--iptables=false', '--ip6tables=false', `--bridge=${bridge?.name ?? 'none'}`,
    ...[...insecureRegistries, ...(bridge ? [bridge.subnet] : [])].flatMap((r) => ['--insecure-registry', r]),
  ];
  let command = '/usr/sbin/dockerd';
  let env = process.env;
  if (kind === 'containerd') {
    writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ features: { 'containerd-snapshotter': true } }));
    args.push('--config-file', join(dir, 'daemon.json'), '--storage-driver=native');
    command = `${DOCKER26_ROOT}/usr/sbin/dockerd`;
    // Its own containerd and shims first; runc stays the system's.
    env = { ...process.env, PATH: `${DOCKER26_ROOT}/usr/bin:${DOCKER26_ROOT}/usr/sbin:${process.env.PATH ?? '/usr/bin:/bin'}` };
  } else {
    args.push('--storage-driver=vfs');
  }
  const child = spawn(command, args, { stdio: ['ignore', log.fd, log.fd], env });
  closeSync(log.fd);
  const host = `unix://${socket}`;
  const stopEngine = stopper(child, dir);
  const stop = whileLive(async () => {
    try {
      await stopEngine();
    } finally {
      bridge?.remove();
    }
  });
  try {
    await waitFor(`${kind === 'classic' ? 'dockerd 20.10' : 'dockerd 26.1 (containerd store)'}${bridge ? ` with bridge ${bridge.name}` : ''}`, () => {
      execFileSync(DOCKER_CLIS[0], ['version', '--format', '{{.Server.Version}}'], { env: { ...process.env, DOCKER_HOST: host }, stdio: 'pipe' });
      return true;
    }, 60_000, child, log.path);
  } catch (err) {
    const tail = readFileSync(log.path, 'utf8').trim().split('\n').slice(-5).join('\n  ');
    await stop();
    throw new Error(`${(err as Error).message}; its last log lines:\n  ${tail}`, { cause: err });
  }
  const info = bridge ? { name: bridge.name, gateway: bridge.gateway, subnet: bridge.subnet } : undefined;
  return { pid: child.pid!, dir, socket, host, kind, ...(info ? { bridge: info } : {}), stop };
}

export interface RegistryOptions {
  port: number;
  /** The address it listens on: 127.0.0.1 unless given (a bridge's gateway, for containers). */
  host?: string;
  /** htpasswd file for a registry that requires a login. */
  htpasswd?: string;
  /** Bearer-token auth (Docker Hub's kind): tokens from `realm`, signed by a key whose certificate is in `rootCertBundle`. */
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
  /** Pull-through cache of another registry. */
  proxyRemote?: string;
}

export async function startRegistry(opts: RegistryOptions): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), `dc-registry-${opts.port}-`));
  const address = `${opts.host ?? '127.0.0.1'}:${opts.port}`;
  const config = [
    'version: 0.1',
    'log:', '  level: warn',
    'storage:', `  filesystem:`, `    rootdirectory: ${join(dir, 'data')}`, '  delete:', '    enabled: true',
    'http:', `  addr: ${address}`,
    ...(opts.htpasswd ? ['auth:', '  htpasswd:', '    realm: test', `    path: ${opts.htpasswd}`] : []),
    ...(opts.token ? ['auth:', '  token:', `    realm: ${opts.token.realm}`, `    service: ${opts.token.service}`, `    issuer: ${opts.token.issuer}`, `    rootcertbundle: ${opts.token.rootCertBundle}`] : []),
    ...(opts.proxyRemote ? ['proxy:', `  remoteurl: ${opts.proxyRemote}`] : []),
  ].join('\n');
  writeFileSync(join(dir, 'registry.yml'), config + '\n');
  const log = logFile(dir, 'registry.log');
  const child = spawn('docker-registry', ['serve', join(dir, 'registry.yml')], { stdio: ['ignore', log.fd, log.fd] });
  closeSync(log.fd);
  await waitFor(`registry at ${address}`, async () => {
    const res = await fetch(`http://${address}/v2/`);
    return res.status === 200 || res.status === 401;
  }, 30_000, child, log.path);
  return { pid: child.pid!, dir, address, stop: stopper(child, dir) };
}

/**
 * Builds a small image from busybox without pulling anything, named `name`
 * (e.g. `127.0.0.1:5000/library/ubuntu:18.04`), in the engine at `host`.
 * `marker` is written into /marker so images built from different markers differ.
 */
export function importBusyboxImage(host: string, name: string, marker = name): void {
  const dir = mkdtempSync(join(tmpdir(), 'dc-rootfs-'));
  mkdirSync(join(dir, 'bin'), { recursive: true });
  cpSync('/bin/busybox', join(dir, 'bin', 'busybox'));
  for (const applet of ['sh', 'cat', 'echo', 'sleep', 'ls', 'true', 'wc', 'head', 'env']) symlinkSync('busybox', join(dir, 'bin', applet));
  writeFileSync(join(dir, 'marker'), marker + '\n');
  const tar = execFileSync('tar', ['-C', dir, '-c', '.'], { maxBuffer: 64 * 1024 * 1024 });
  rmSync(dir, { recursive: true, force: true });
  execFileSync(DOCKER_CLIS[0], ['import', '-c', 'CMD ["/bin/busybox","sh"]', '-c', 'ENV PATH=/bin', '-', name], {
    input: tar, env: { ...process.env, DOCKER_HOST: host }, stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Runs a docker CLI against `host`; returns stdout, throws with stderr on failure. */
export function docker(host: string, args: string[], opts: { cli?: string; input?: string | Buffer; env?: NodeJS.ProcessEnv; timeout?: number } = {}): string {
  return execFileSync(opts.cli ?? DOCKER_CLIS[0], args, {
    input: opts.input, env: { ...process.env, DOCKER_HOST: host, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'],
    timeout: opts.timeout ?? 120_000, maxBuffer: 64 * 1024 * 1024,
  }).toString();
}

/** Publishes a small image with content `marker` at `ref` (a registry reference) and removes it locally; returns its digest. */
export function publishImage(host: string, ref: string, marker: string): string {
  importBusyboxImage(host, ref, marker);
  const out = docker(host, ['push', ref]);
  docker(host, ['rmi', ref]);
  return /digest: (sha256:[0-9a-f]{64})/.exec(out)![1]!;
}
