// The proxy's own socket: a per-user private location, created as private as the engine's
// (folder 0700, socket 0600 or 0660 for a configured group). Never deletes a file that is
// not a socket, and never a socket somebody is still listening on.
import { chmod, chown, lstat, mkdir, readFile, unlink } from 'node:fs/promises';
import { connect, type Server } from 'node:net';
import { dirname, join } from 'node:path';

export const SOCKET_NAME = 'docker.sock';

/** Windows has named pipes where Unix has sockets; the pipe namespace has no files or modes. */
export const WINDOWS_PIPE = '\\\\.\\pipe\\docker_caching';

export function isNamedPipe(path: string): boolean {
  return /^[\\/]{2}\.[\\/]pipe[\\/]/.test(path);
}

export function defaultListenPath(env: NodeJS.ProcessEnv, home: string, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return WINDOWS_PIPE;
  const base = env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'docker-caching') : join(home, '.docker-caching');
  return join(base, SOCKET_NAME);
}

export class SocketInUse extends Error {}

/** Makes `path` ready to listen on: missing folders created 0700, a stale socket removed. */
export async function prepareSocketPath(path: string): Promise<void> {
  if (isNamedPipe(path)) {
    if (await someoneListens(path)) throw new SocketInUse(`already running at ${path}: another docker-caching (or another program) is listening there`);
    return;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  let stat;
  try {
    stat = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!stat.isSocket()) {
    throw new SocketInUse(`${path} exists and is not a socket; refusing to replace it: choose another --listen path or remove the file yourself`);
  }
  if (await someoneListens(path)) {
    throw new SocketInUse(`already running at ${path}: another docker-caching (or another program) is listening there`);
  }
  await unlink(path);
}

function someoneListens(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Listens on `path` with mode 0600 (0660 and the group's ownership when `group` is set). */
export async function listenPrivately(server: Server, path: string, group?: string): Promise<void> {
  const gid = group === undefined || isNamedPipe(path) ? undefined : await groupId(group);
  // The umask closes the window between bind() and chmod(); bind happens inside listen().
  const previous = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(previous);
  }
  // A named pipe's access is its ACL: by default the creating user and administrators only.
  if (isNamedPipe(path)) return;
  if (gid !== undefined) {
    await chown(path, process.getuid?.() ?? -1, gid);
    await chmod(path, 0o660);
  } else {
    await chmod(path, 0o600);
  }
}

async function groupId(name: string): Promise<number> {
  if (/^\d+$/.test(name)) return Number(name);
  const groups = await readFile('/etc/group', 'utf8').catch(() => '');
  for (const line of groups.split('\n')) {
    const [n, , gid] = line.split(':');
    if (n === name && gid) return Number(gid);
  }
  throw new Error(`unknown group "${name}" for the socket: check the group name`);
}
