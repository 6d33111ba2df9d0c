// The one way files are replaced: a temp file in the same folder, written, fsynced, renamed
// over the target, then the folder fsynced. A reader sees the old content or the new, never
// half of it; on any error the old file stays as it was and the temp file is removed.
// A symlinked target is written through, so the link (say, into a dotfiles repository) stays.
import { randomBytes } from 'node:crypto';
import { promises as fs, closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** Mode of the file written (and of a new file). */
  mode: number;
  /** Keep the mode of an existing file instead of `mode`. */
  keepMode?: boolean;
  /** Mode of folders created on the way (default: 0700). */
  folderMode?: number;
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

function tempBeside(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Replaces `file` with `content` atomically and durably (see the module comment). */
export async function writeFileAtomic(file: string, content: string, opts: AtomicWriteOptions): Promise<void> {
  let target = file;
  let mode = opts.mode;
  try {
    target = await fs.realpath(file);
    if (opts.keepMode) mode = (await fs.stat(target)).mode & 0o777;
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  const temp = tempBeside(target);
  await fs.mkdir(path.dirname(target), { recursive: true, mode: opts.folderMode ?? 0o700 });
  try {
    const handle = await fs.open(temp, 'wx', mode);
    try {
      await handle.chmod(mode);
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncFolder(path.dirname(target));
}

/** The same, for the few callers that run synchronously (the Docker context switch, the shell). */
export function writeFileAtomicSync(file: string, content: string, opts: AtomicWriteOptions): void {
  let target = file;
  let mode = opts.mode;
  try {
    target = realpathSync(file);
    if (opts.keepMode) mode = statSync(target).mode & 0o777;
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  const temp = tempBeside(target);
  mkdirSync(path.dirname(target), { recursive: true, mode: opts.folderMode ?? 0o700 });
  try {
    const fd = openSync(temp, 'wx', mode);
    try {
      fchmodSync(fd, mode);
      writeSync(fd, content, null, 'utf8');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  if (process.platform === 'win32') return;
  try {
    const fd = openSync(path.dirname(target), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // see syncFolder
  }
}

// Makes the rename itself durable. Best effort: the new file is already in place, and some
// platforms and file systems cannot open or fsync a folder.
async function syncFolder(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await fs.open(dir, 'r').catch(() => undefined);
  if (handle === undefined) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}
