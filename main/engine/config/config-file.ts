// The config file on disk: read it (a missing file means the defaults), save it atomically
// (temp file + fsync + rename: on any error the old file stays as it was), and watch its
// folder, and a symlink's target folder, for edits. Loading never creates, touches or
// rewrites the file, reads only a regular file of at most MAX_CONFIG_BYTES, and never
// blocks on a FIFO or a device.
import { constants, promises as fs, realpathSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Document } from 'yaml';
import type { ConfigProblem } from '#shared/ipc';
import { defaultConfig, sameConfig, type Config } from '#shared/config/schema';
import { configToYaml } from '#shared/config/to-yaml';
import { formatProblem, parseConfigText } from '#shared/config/validate';
import { writeFileAtomic } from '../atomic-write';

/** A read of the file. `text: null` when there is no file (then the defaults) or it could not be read. */
export type ConfigFileRead =
  | { ok: true; config: Config; doc: Document | null; text: string | null }
  | { ok: false; problem: ConfigProblem; text: string | null };

/** Bigger than any hand-written config (about 20,000 rules); a bigger file is refused, not read. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Reads and validates the file, including what `platform` cannot honour (a socket group on Windows). */
export async function loadConfigFile(file: string, platform: NodeJS.Platform = process.platform): Promise<ConfigFileRead> {
  let text: string;
  try {
    text = await readRegularFile(file);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { ok: true, config: defaultConfig, doc: null, text: null };
    const message = error instanceof RefusedFile ? error.message : `cannot read the config file: ${describeFsError(error)}`;
    return { ok: false, problem: { file, message }, text: null };
  }
  const parsed = parseConfigText(text, file, platform);
  return parsed.ok
    ? { ok: true, config: parsed.config, doc: parsed.doc, text }
    : { ok: false, problem: parsed.problem, text };
}

class RefusedFile extends Error {}

// Opened without blocking (a FIFO would wait for a writer forever, holding a libuv thread
// and with it the process's exit), then checked by what it is before a byte is read.
async function readRegularFile(file: string): Promise<string> {
  const handle = await fs.open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      throw new RefusedFile(`the config file is not a regular file (it is ${kindOf(stat)}); it was not read: point --config at a regular file`);
    }
    if (stat.size > MAX_CONFIG_BYTES) throw tooBig(stat.size);
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      // It grew while being read.
      if (length > MAX_CONFIG_BYTES) throw tooBig(length);
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    await handle.close();
  }
}

const tooBig = (size: number) =>
  new RefusedFile(`the config file is ${(size / 1024 / 1024).toFixed(1)} MiB, over the limit of ${MAX_CONFIG_BYTES / 1024 / 1024} MiB; it was not read (a config of mirror rules is a few kB): check that --config names the right file`);

function kindOf(stat: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * The text to save for `config`, written onto `base` (the file's parsed document) so its
 * comments and key order survive; checked to read back as the same config before use.
 */
export function renderConfigFile(file: string, config: Config, base: Document | null): { text: string; doc: Document } {
  const text = configToYaml(config, base);
  const check = parseConfigText(text, file);
  if (!check.ok) {
    throw new Error(`refusing to save ${file}: the YAML made for this config does not read back (${formatProblem(check.problem)}); this is a bug in docker-caching`);
  }
  if (!sameConfig(check.config, config)) {
    throw new Error(`refusing to save ${file}: the YAML made for this config reads back as a different config; this is a bug in docker-caching`);
  }
  return { text, doc: check.doc };
}

/** Replaces the file's content atomically (atomic-write.ts), private (0600, folder 0700). */
export async function writeConfigFile(file: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(file, text, { mode: 0o600 });
  } catch (error) {
    throw new Error(`cannot save the config file ${file}: ${describeFsError(error)}; the file on disk was left as it was`, { cause: error });
  }
}

export interface ConfigFileWatcher {
  close(): void;
}

/**
 * Calls `onChange` once the file has been quiet for `debounceMs` after an event on its name.
 * Watches the folder, not the file: editors save by writing a new file and renaming it over
 * the old one. A symlinked file is watched at both ends: the link's folder (the link
 * retargeted) and its target's folder (the target edited), following the link as it moves.
 * A missing folder is looked for every second until it appears.
 */
export function watchConfigFile(file: string, onChange: () => void, debounceMs = 100): ConfigFileWatcher {
  let debounce: NodeJS.Timeout | undefined;
  let closed = false;
  let target: string | null = null;
  let targetWatch: ConfigFileWatcher | undefined;

  const changed = () => {
    followTarget();
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      if (!closed) onChange();
    }, debounceMs);
    debounce.unref();
  };

  const followTarget = () => {
    let resolved: string | null;
    try {
      resolved = realpathSync(file);
    } catch {
      resolved = null;
    }
    if (resolved === file) resolved = null;
    if (resolved === target) return;
    targetWatch?.close();
    target = resolved;
    targetWatch = target === null ? undefined : watchName(target, changed);
  };

  const linkWatch = watchName(file, changed);
  followTarget();
  return {
    close() {
      closed = true;
      clearTimeout(debounce);
      linkWatch.close();
      targetWatch?.close();
    },
  };
}

/** Calls `changed` on every event on `file`'s name in its folder; waits for a missing folder. */
function watchName(file: string, changed: () => void): ConfigFileWatcher {
  const dir = path.dirname(file);
  const name = path.basename(file);
  let watcher: FSWatcher | undefined;
  let poll: NodeJS.Timeout | undefined;
  let closed = false;

  const attach = (): boolean => {
    try {
      watcher = watch(dir, { persistent: false }, (_event, changedName) => {
        if (changedName === null || changedName === name) changed();
      });
    } catch {
      return false;
    }
    // The folder went away (or became unwatchable): look for it again.
    watcher.on('error', () => {
      watcher?.close();
      watcher = undefined;
      if (!closed) waitForFolder();
    });
    return true;
  };

  const waitForFolder = () => {
    poll = setInterval(() => {
      if (closed || !attach()) return;
      clearInterval(poll);
      changed();
    }, 1000);
    poll.unref();
  };

  if (!attach()) waitForFolder();
  return {
    close() {
      closed = true;
      clearInterval(poll);
      watcher?.close();
    },
  };
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

const fsErrorWords: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'part of the path is a file, not a folder',
  ENAMETOOLONG: 'the path is too long',
  ELOOP: 'too many symbolic links in the path',
};

function describeFsError(error: unknown): string {
  const code = errorCode(error);
  const words = code === undefined ? undefined : fsErrorWords[code];
  if (words !== undefined) return `${words} (${code})`;
  return error instanceof Error ? error.message : String(error);
}
