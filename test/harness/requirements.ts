// The programs and services the integration and browser suites run against. A missing one
// fails the run with its name and how to get it; it never shrinks a test matrix or skips.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

export interface Requirement {
  /** What the tests call it, e.g. "Debian's docker CLI (20.10)". */
  name: string;
  /** An executable that must exist, or a command that must succeed. */
  path?: string;
  command?: [string, ...string[]];
  /** How to get it. */
  install: string;
}

const apt = (pkg: string) => `apt-get install ${pkg} (or run .ci/run)`;

/** Both docker CLIs: client behaviour differs between them, so every such test runs with each. */
export const DOCKER_CLIS = ['/usr/local/bin/docker', '/usr/bin/docker'] as const;

export const CLASSIC_ENGINE: Requirement[] = [
  { name: 'the docker CLI 28', path: DOCKER_CLIS[0], install: 'it comes with this kind of machine (/usr/local/bin/docker)' },
  { name: "Debian's docker CLI 20.10", path: DOCKER_CLIS[1], install: apt('docker.io') },
  { name: 'dockerd 20.10', path: '/usr/sbin/dockerd', install: apt('docker.io') },
  // The test engines run bridge-network containers on a private bridge, ports published by docker-proxy.
  { name: 'docker-proxy (the userland proxy of dockerd 20.10)', path: '/usr/sbin/docker-proxy', install: apt('docker.io') },
  { name: 'ip (iproute2), to make the test engines\' private bridges', path: '/usr/sbin/ip', install: apt('iproute2') },
  { name: 'the Distribution registry', path: '/usr/bin/docker-registry', install: apt('docker-registry') },
  { name: 'busybox (static)', path: '/bin/busybox', install: apt('busybox-static') },
  { name: 'docker-compose v1', path: '/usr/bin/docker-compose', install: apt('docker-compose') },
  { name: 'docker-py', command: ['python3', '-c', 'import docker'], install: apt('python3-docker') },
  { name: 'Chromium', path: '/usr/bin/chromium', install: apt('chromium') },
];

/** Debian 13's engine unpacked beside the system's (see .ci/run). */
export const DOCKER26_ROOT = '/opt/docker26';
export const CONTAINERD_ENGINE: Requirement[] = [
  { name: 'dockerd 26.1', path: `${DOCKER26_ROOT}/usr/sbin/dockerd`, install: 'run .ci/run: it unpacks Debian 13\'s docker.io and containerd into /opt/docker26' },
  { name: 'containerd 1.7', path: `${DOCKER26_ROOT}/usr/bin/containerd`, install: 'run .ci/run: it unpacks Debian 13\'s docker.io and containerd into /opt/docker26' },
  { name: 'docker-proxy of dockerd 26.1', path: `${DOCKER26_ROOT}/usr/sbin/docker-proxy`, install: 'run .ci/run: it unpacks Debian 13\'s docker.io and containerd into /opt/docker26' },
  { name: 'runc', path: '/usr/sbin/runc', install: apt('runc') },
];

function present(req: Requirement): boolean {
  try {
    if (req.path) accessSync(req.path, constants.X_OK);
    if (req.command) execFileSync(req.command[0], req.command.slice(1), { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The requirements that are missing, each as "name (path): how to get it". */
export function missing(reqs: readonly Requirement[]): string[] {
  return reqs.filter((r) => !present(r)).map((r) => `${r.name} (${r.path ?? r.command!.join(' ')}): ${r.install}`);
}

/** Throws one error naming every missing requirement. */
export function requireAll(reqs: readonly Requirement[]): void {
  const gone = missing(reqs);
  if (gone.length > 0) throw new Error(`the tests need what is missing here:\n  ${gone.join('\n  ')}`);
}
