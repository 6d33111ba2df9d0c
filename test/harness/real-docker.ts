// Starts and stops the real parts tests run against: a private dockerd and Distribution
// registries, each in its own temp folder, stopped by pid (never by name).
// Recipe: ../shared/handbook/testing.md.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, openSync, cpSync, symlinkSync } from 'node:fs';
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
}

export interface Registry extends RunningProcess {
  /** `127.0.0.1:PORT` */
  address: string;
}

export const DOCKER_CLIS = ['/usr/local/bin/docker', '/usr/bin/docker'].filter((p) => existsSync(p));

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

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
}

export async function startDockerd(insecureRegistries: string[]): Promise<Dockerd> {
  if (!existsSync('/usr/bin/dockerd') && !existsSync('/usr/sbin/dockerd')) {
    throw new Error('dockerd is not installed: run .ci/run (or apt-get install docker.io) first');
  }
  const dir = mkdtempSync(join(tmpdir(), 'dc-dockerd-'));
  const socket = join(dir, 'docker.sock');
  const log = join(dir, 'dockerd.log');
  const args = [
    '--host', `unix://${socket}`, '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'),
    '--pidfile', join(dir, 'dockerd.pid'), '--iptables=false', '--ip6tables=false', '--bridge=none',
    '--storage-driver=vfs', ...insecureRegistries.flatMap((r) => ['--insecure-registry', r]),
  ];
  const out = openSync(log, 'a');
  const child = spawn('dockerd', args, { stdio: ['ignore', out, out] });
  const host = `unix://${socket}`;
  await waitFor('dockerd', () => {
    execFileSync('/usr/local/bin/docker', ['version', '--format', '{{.Server.Version}}'], { env: { ...process.env, DOCKER_HOST: host }, stdio: 'pipe' });
    return true;
  }, 60_000, child, log);
  return { pid: child.pid!, dir, socket, host, stop: stopper(child) };
}

export interface RegistryOptions {
  port: number;
  /** htpasswd file for a registry that requires a login. */
  htpasswd?: string;
  /** Pull-through cache of another registry. */
  proxyRemote?: string;
}

export async function startRegistry(opts: RegistryOptions): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), `dc-registry-${opts.port}-`));
  const address = `127.0.0.1:${opts.port}`;
  const config = [
    'version: 0.1',
    'log:', '  level: warn',
    'storage:', `  filesystem:`, `    rootdirectory: ${join(dir, 'data')}`, '  delete:', '    enabled: true',
    'http:', `  addr: ${address}`,
    ...(opts.htpasswd ? ['auth:', '  htpasswd:', '    realm: test', `    path: ${opts.htpasswd}`] : []),
    ...(opts.proxyRemote ? ['proxy:', `  remoteurl: ${opts.proxyRemote}`] : []),
  ].join('\n');
  writeFileSync(join(dir, 'registry.yml'), config + '\n');
  const log = join(dir, 'registry.log');
  const out = openSync(log, 'a');
  const child = spawn('docker-registry', ['serve', join(dir, 'registry.yml')], { stdio: ['ignore', out, out] });
  await waitFor(`registry at ${address}`, async () => {
    const res = await fetch(`http://${address}/v2/`);
    return res.status === 200 || res.status === 401;
  }, 30_000, child, log);
  return { pid: child.pid!, dir, address, stop: stopper(child) };
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
  execFileSync('/usr/local/bin/docker', ['import', '-c', 'CMD ["/bin/busybox","sh"]', '-c', 'ENV PATH=/bin', '-', name], {
    input: tar, env: { ...process.env, DOCKER_HOST: host }, stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Runs a docker CLI against `host`; returns stdout, throws with stderr on failure. */
export function docker(host: string, args: string[], opts: { cli?: string; input?: string | Buffer; env?: NodeJS.ProcessEnv; timeout?: number } = {}): string {
  return execFileSync(opts.cli ?? '/usr/local/bin/docker', args, {
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
