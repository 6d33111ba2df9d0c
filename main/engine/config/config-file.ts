// The config file on disk: read it (a missing file means the defaults), save it atomically
// (temp file + fsync + rename: on any error the old file stays as it was), and watch its
// folder for edits. Loading never creates, touches or rewrites the file.
import { promises as fs, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Document } from 'yaml';
import type { ConfigProblem } from '../../../shared/ipc';
import { defaultConfig, sameConfig, type Config } from '../../../shared/config/schema';
import { configToYaml } from '../../../shared/config/to-yaml';
import { formatProblem, parseConfigText } from '../../../shared/config/validate';
import { writeFileAtomic } from '../atomic-write';

/** A read of the file. `text: null` when there is no file (then the defaults) or it could not be read. */
export type ConfigFileRead =
  | { ok: true; config: Config; doc: Document | null; text: string | null }
  | { ok: false; problem: ConfigProblem; text: string | null };

export async function loadConfigFile(file: string): Promise<ConfigFileRead> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { ok: true, config: defaultConfig, doc: null, text: null };
    return { ok: false, problem: { file, message: `cannot read the config file: ${describeFsError(error)}` }, text: null };
  }
  const parsed = parseConfigText(text, file);
  return parsed.ok
    ? { ok: true, config: parsed.config, doc: parsed.doc, text }
    : { ok: false, problem: parsed.problem, text };
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
 * the old one. A missing folder is looked for every second until it appears.
 */
export function watchConfigFile(file: string, onChange: () => void, debounceMs = 100): ConfigFileWatcher {
  const dir = path.dirname(file);
  const name = path.basename(file);
  let watcher: FSWatcher | undefined;
  let poll: NodeJS.Timeout | undefined;
  let debounce: NodeJS.Timeout | undefined;
  let closed = false;

  const changed = () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      if (!closed) onChange();
    }, debounceMs);
    debounce.unref();
  };

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
      clearTimeout(debounce);
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
