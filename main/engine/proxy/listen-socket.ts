// The proxy's own socket: a per-user private location, created as private as the engine's
// (folder 0700 and socket 0600; folder 0750 and socket 0660, group set explicitly, for a
// configured group). Never deletes a file that is not a socket, never a socket somebody is
// still listening on, and on stop never a socket other than the one it bound.
import { randomBytes } from 'node:crypto';
import { chmod, chown, link, lstat, mkdir, readFile, stat, unlink } from 'node:fs/promises';
import { connect, type Server } from 'node:net';
import { basename, dirname, join } from 'node:path';

export const SOCKET_NAME = 'docker.sock';
const OWN_FOLDERS = new Set(['docker-caching', '.docker-caching']);

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

/** The socket as bound: removed on stop only while the same file (device and inode) is there. */
export interface BoundSocket {
  path: string;
  /** Unset for a named pipe, which the system removes with its last handle. */
  file?: { dev: number; ino: number };
}

/**
 * Makes `path` ready to listen on: the socket's folder created (or, when it is our own
 * folder, reset) 0700, or 0750 owned by `gid` for a group; a stale socket removed.
 */
export async function prepareSocketPath(path: string, gid?: number): Promise<void> {
  if (isNamedPipe(path)) {
    if (await someoneListens(path)) throw new SocketInUse(`already running at ${path}: another docker-caching (or another program) is listening there`);
    return;
  }
  await prepareFolder(dirname(path), gid);
  let found;
  try {
    found = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!found.isSocket()) {
    throw new SocketInUse(`${path} exists and is not a socket; refusing to replace it: choose another --listen path or remove the file yourself`);
  }
  if (await someoneListens(path)) {
    throw new SocketInUse(`already running at ${path}: another docker-caching (or another program) is listening there`);
  }
  await unlink(path);
}

// Modes are set with chmod, never left to the umask: the folders this start created, and our
// own default folder, get exactly the mode and group asked for. A folder the user chose is
// left alone, but a group that could not get through it is an error, not a silent EACCES.
async function prepareFolder(folder: string, gid: number | undefined): Promise<void> {
  const firstCreated = await mkdir(folder, { recursive: true, mode: 0o700 });
  const ours = firstCreated !== undefined ? foldersFrom(firstCreated, folder) : [];
  if (firstCreated === undefined && OWN_FOLDERS.has(basename(folder)) && (await stat(folder)).uid === process.getuid?.()) ours.push(folder);
  for (const dir of ours) {
    if (gid === undefined) {
      await chmod(dir, 0o700);
    } else {
      await chown(dir, process.getuid?.() ?? -1, gid);
      await chmod(dir, 0o750);
    }
  }
  if (gid !== undefined) await checkGroupCanReach(folder, gid);
}

/** `from` and every folder below it down to `to` (all created by one recursive mkdir). */
function foldersFrom(from: string, to: string): string[] {
  const out: string[] = [];
  for (let dir = to; ; dir = dirname(dir)) {
    out.unshift(dir);
    if (dir === from || dirname(dir) === dir) return out;
  }
}

async function checkGroupCanReach(folder: string, gid: number): Promise<void> {
  for (let dir = folder; ; dir = dirname(dir)) {
    const s = await stat(dir);
    const groupSearch = s.gid === gid && (s.mode & 0o010) !== 0;
    if (!groupSearch && (s.mode & 0o001) === 0) {
      throw new Error(`members of the socket's group (gid ${gid}) cannot reach ${folder}: ${dir} lets neither that group nor others through (mode 0${(s.mode & 0o777).toString(8)}); choose another --listen path or allow the group through ${dir}`);
    }
    if (dirname(dir) === dir) return;
  }
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

/**
 * Prepares the path and listens on it with mode 0600, or 0660 with owner and group set
 * explicitly when `group` is set. Named pipes: Node cannot give a pipe a security descriptor
 * (listen() offers only readableAll/writableAll, never set here), so the pipe keeps Windows'
 * default one (full control for the creating user, administrators and LocalSystem) and a
 * group is refused there rather than silently ignored.
 */
export async function listenPrivately(server: Server, path: string, group?: string): Promise<BoundSocket> {
  if (isNamedPipe(path)) {
    if (group !== undefined) throw new Error(`the socket group "${group}" cannot be applied to the named pipe ${path}: Windows pipes take no group here; remove the group setting`);
    await prepareSocketPath(path);
    await listenOn(server, path);
    return { path };
  }
  const gid = group === undefined ? undefined : await groupId(group);
  await prepareSocketPath(path, gid);
  // Bound under a temporary name, given its mode, owner and group, then linked into place:
  // the socket appears complete, never replaces a file somebody put there meanwhile, and
  // libuv, which unlinks the name it bound when the server closes, only ever unlinks that
  // temporary name, never whatever is at `path` by then.
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}`);
  await listenOn(server, temp);
  try {
    await chown(temp, process.getuid?.() ?? -1, gid ?? process.getgid?.() ?? -1);
    await chmod(temp, gid === undefined ? 0o600 : 0o660);
    await link(temp, path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
      throw new SocketInUse(`${path} appeared while docker-caching was starting; refusing to replace it: is another docker-caching starting there?`);
    });
  } catch (err) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw err;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  const bound = await lstat(path);
  return { path, file: { dev: bound.dev, ino: bound.ino } };
}

function listenOn(server: Server, path: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // bind() runs inside listen(), synchronously: the umask closes the window before chmod
    // for exactly that call and is restored before anything else can run (no await between).
    // Named pipes ignore it.
    const previous = process.umask(0o177);
    try {
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(previous);
    }
  });
}

/** Removes the socket we bound, only if the file at its path is still that socket. */
export async function removeOwnSocket(bound: BoundSocket): Promise<void> {
  if (!bound.file) return;
  let now;
  try {
    now = await lstat(bound.path);
  } catch {
    return;
  }
  if (!now.isSocket() || now.dev !== bound.file.dev || now.ino !== bound.file.ino) return;
  await unlink(bound.path).catch(() => undefined);
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
