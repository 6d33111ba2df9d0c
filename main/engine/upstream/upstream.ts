// Where the Docker engine is: parses upstream URLs (unix, tcp, npipe) and discovers the
// engine the way docker does (flag, DOCKER_HOST, current context, well-known sockets).
// Never picks our own socket or our own docker context.
import { join, resolve } from 'node:path';
import type { NetConnectOpts } from 'node:net';

export type UpstreamAddress =
  | { kind: 'unix'; path: string }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'npipe'; path: string };

export function parseUpstream(url: string): UpstreamAddress {
  const m = /^([a-z]+):\/\/(.*)$/.exec(url.trim());
  if (!m) throw new Error(`invalid upstream "${url}": expected unix:///path, tcp://host:port or npipe:////./pipe/name`);
  const [, scheme, rest] = m as unknown as [string, string, string];
  switch (scheme) {
    case 'unix':
      if (!rest.startsWith('/')) throw new Error(`invalid upstream "${url}": a unix socket path must be absolute`);
      return { kind: 'unix', path: rest };
    case 'tcp': {
      const hp = /^(\[[0-9a-fA-F:.]+\]|[^:/]+):(\d{1,5})\/?$/.exec(rest);
      if (!hp || Number(hp[2]) > 65535) throw new Error(`invalid upstream "${url}": expected tcp://host:port`);
      return { kind: 'tcp', host: hp[1]!.replace(/^\[|\]$/g, ''), port: Number(hp[2]) };
    }
    case 'npipe': {
      // npipe:////./pipe/docker_engine -> \\.\pipe\docker_engine
      const path = rest.replace(/\//g, '\\');
      if (!/^\\\\[^\\]+\\pipe\\.+/.test(path)) throw new Error(`invalid upstream "${url}": expected npipe:////./pipe/name`);
      return { kind: 'npipe', path };
    }
    default:
      throw new Error(`unsupported upstream scheme "${scheme}" in "${url}": use unix://, tcp:// or npipe://`);
  }
}

export function formatUpstream(a: UpstreamAddress): string {
  switch (a.kind) {
    case 'unix':
      return `unix://${a.path}`;
    case 'tcp':
      return `tcp://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
    case 'npipe':
      return `npipe://${a.path.replace(/\\/g, '/')}`;
  }
}

export function connectOptions(a: UpstreamAddress): NetConnectOpts {
  return a.kind === 'tcp' ? { host: a.host, port: a.port } : { path: a.path };
}

export interface DiscoveryInput {
  /** `--upstream` */
  flag?: string;
  /** The config file's `upstream` (`auto` or a URL). */
  configured?: string;
  env: NodeJS.ProcessEnv;
  home: string;
  platform: NodeJS.Platform;
  /** Our own listening socket: never an upstream. */
  ownSocket: string;
  isSocket(path: string): boolean;
  /** The current docker context's endpoint, if any (not the default context). */
  currentContext(): { name: string; host: string } | null;
}

export interface DiscoveredUpstream {
  address: UpstreamAddress;
  /** Where it came from, for the status line: `--upstream`, `DOCKER_HOST`, `docker context "x"`, … */
  source: string;
}

export const OWN_CONTEXT = 'docker-caching';

export function wellKnownSockets(env: NodeJS.ProcessEnv, home: string, platform: NodeJS.Platform): string[] {
  if (platform === 'win32') return ['\\\\.\\pipe\\docker_engine'];
  const list = [
    '/var/run/docker.sock',
    join(home, '.docker/run/docker.sock'),
    join(home, '.colima/default/docker.sock'),
    join(home, '.orbstack/run/docker.sock'),
    join(home, '.rd/docker.sock'),
  ];
  if (env.XDG_RUNTIME_DIR) list.push(join(env.XDG_RUNTIME_DIR, 'podman/podman.sock'));
  return list;
}

export function discoverUpstream(input: DiscoveryInput): DiscoveredUpstream {
  const isOwn = (a: UpstreamAddress) => a.kind === 'unix' && resolve(a.path) === resolve(input.ownSocket);
  const explicit = input.flag ?? (input.configured && input.configured !== 'auto' ? input.configured : undefined);
  if (explicit) {
    const address = parseUpstream(explicit);
    if (isOwn(address)) throw new Error(`the upstream ${explicit} is docker-caching's own socket: point it at the Docker engine instead`);
    return { address, source: input.flag ? '--upstream' : 'config file' };
  }
  const dockerHost = input.env.DOCKER_HOST;
  if (dockerHost) {
    const address = parseUpstream(dockerHost);
    if (!isOwn(address)) return { address, source: 'DOCKER_HOST' };
  }
  const context = input.currentContext();
  if (context && context.name !== OWN_CONTEXT) {
    const address = parseUpstream(context.host);
    if (!isOwn(address)) return { address, source: `docker context "${context.name}"` };
  }
  const sockets = wellKnownSockets(input.env, input.home, input.platform);
  const found = sockets.find((p) => resolve(p) !== resolve(input.ownSocket) && input.isSocket(p));
  const path = found ?? sockets[0]!;
  return {
    address: input.platform === 'win32' ? { kind: 'npipe', path } : { kind: 'unix', path },
    source: found ? 'well-known socket' : 'default socket',
  };
}
