import { promises as fs, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_CONFIG_BYTES, loadConfigFile, renderConfigFile, watchConfigFile, writeConfigFile } from '../../main/engine/config/config-file';
import { execFileSync } from 'node:child_process';
import { configSchema, defaultConfig } from '#shared/config/schema';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'config-file-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await fs.rm(dir, { recursive: true, force: true });
});

const sample = ['# team mirrors', 'version: 1', 'rules:', '  - from: docker.io/library # hub', '    to: localhost:5000', ''].join('\n');

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const mode = async (file: string) => (await fs.stat(file)).mode & 0o777;

/** Replaces a file the way editors do: write a new file, rename it over the old one. */
async function editorSave(file: string, text: string): Promise<void> {
  const temp = `${file}.swp`;
  await fs.writeFile(temp, text);
  await fs.rename(temp, file);
}

describe('loading the config file', () => {
  it('gives the defaults for a missing file without creating the file or its folder', async () => {
    const file = path.join(dir, 'missing', 'config.yaml');
    const read = await loadConfigFile(file);
    expect(read).toEqual({ ok: true, config: defaultConfig, doc: null, text: null });
    await expect(fs.stat(path.join(dir, 'missing'))).rejects.toThrow(/ENOENT/);
  });

  it('reads a valid file without touching it', async () => {
    const file = path.join(dir, 'config.yaml');
    await fs.writeFile(file, sample);
    const before = await fs.stat(file);
    const read = await loadConfigFile(file);
    expect(read.ok && read.config.rules[0]).toMatchObject({ from: 'docker.io/library', to: ['localhost:5000'] });
    expect(read.text).toBe(sample);
    expect((await fs.stat(file)).mtimeMs).toBe(before.mtimeMs);
    expect(await fs.readFile(file, 'utf8')).toBe(sample);
  });

  it('reports an invalid file with its path, line and field', async () => {
    const file = path.join(dir, 'config.yaml');
    await fs.writeFile(file, sample.replace('to: localhost:5000', 'to: localhost:5000/'));
    const read = await loadConfigFile(file);
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.problem).toMatchObject({ file, line: 5, field: 'rules.0.to', message: 'must not end with a slash' });
  });

  it('reports a config path that is a folder', async () => {
    const file = path.join(dir, 'config.yaml');
    await fs.mkdir(file);
    const read = await loadConfigFile(file);
    expect(read.ok ? undefined : read.problem.message).toBe('the config file is not a regular file (it is a folder); it was not read: point --config at a regular file');
  });

  it('refuses a FIFO at once, without waiting for a writer', async () => {
    const file = path.join(dir, 'config.yaml');
    execFileSync('mkfifo', [file]);
    const read = await loadConfigFile(file);
    expect(read.ok ? undefined : read.problem.message).toBe('the config file is not a regular file (it is a FIFO); it was not read: point --config at a regular file');
  });

  it('refuses a file over the size limit without reading it: 11 MB, 200,000 rules', async () => {
    const file = path.join(dir, 'config.yaml');
    const rule = (i: number) => `  - from: docker.io/team${i}\n    to: localhost:5000/t${i}\n`;
    await fs.writeFile(file, `version: 1\nrules:\n${Array.from({ length: 200_000 }, (_, i) => rule(i)).join('')}`);
    expect((await fs.stat(file)).size).toBeGreaterThan(MAX_CONFIG_BYTES);
    const read = await loadConfigFile(file);
    expect(read.ok ? undefined : read.problem.message).toMatch(/^the config file is 1\d\.\d MiB, over the limit of 1 MiB; it was not read/);
  });

  it('refuses a socket group in a config read on Windows, with the file and line', async () => {
    const file = path.join(dir, 'config.yaml');
    await fs.writeFile(file, 'version: 1\ngroup: docker\n');
    const onWindows = await loadConfigFile(file, 'win32');
    expect(onWindows.ok ? undefined : onWindows.problem).toMatchObject({ file, line: 2, field: 'group', message: expect.stringMatching(/^cannot be applied on Windows: /) });
    expect((await loadConfigFile(file, 'linux')).ok).toBe(true);
  });

  it('reads a file just at the size limit', async () => {
    const file = path.join(dir, 'config.yaml');
    await fs.writeFile(file, sample + '#'.repeat(MAX_CONFIG_BYTES - Buffer.byteLength(sample) - 1) + '\n');
    expect((await loadConfigFile(file)).ok).toBe(true);
  });
});

describe('saving the config file', () => {
  it('creates a missing folder as 0700 and the file as 0600', async () => {
    const file = path.join(dir, 'docker-caching', 'config.yaml');
    await writeConfigFile(file, sample);
    expect(await fs.readFile(file, 'utf8')).toBe(sample);
    expect(await mode(path.dirname(file))).toBe(0o700);
    expect(await mode(file)).toBe(0o600);
  });

  it('replaces an existing file, making it private, and leaves no temp file behind', async () => {
    const file = path.join(dir, 'config.yaml');
    await fs.writeFile(file, 'version: 1\n', { mode: 0o644 });
    await fs.chmod(file, 0o644);
    await writeConfigFile(file, sample);
    expect(await fs.readFile(file, 'utf8')).toBe(sample);
    expect(await mode(file)).toBe(0o600);
    expect(await fs.readdir(dir)).toEqual(['config.yaml']);
  });

  it('keeps the old file byte for byte when the final rename fails', async () => {
    const file = path.join(dir, 'config.yaml');
    await fs.writeFile(file, sample);
    const before = await fs.readFile(file);
    vi.spyOn(fs, 'rename').mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' }));
    await expect(writeConfigFile(file, 'version: 1\nenabled: false\n')).rejects.toThrow(
      `cannot save the config file ${file}: EIO: i/o error, rename; the file on disk was left as it was`,
    );
    expect((await fs.readFile(file)).equals(before)).toBe(true);
    expect(await fs.readdir(dir)).toEqual(['config.yaml']);
  });

  it('fails with the cause when the config path is a folder, leaving the folder as it was', async () => {
    const file = path.join(dir, 'config.yaml');
    await fs.mkdir(file);
    await fs.writeFile(path.join(file, 'keep'), 'x');
    await expect(writeConfigFile(file, sample)).rejects.toThrow(
      `cannot save the config file ${file}: it is a folder, not a file (EISDIR); the file on disk was left as it was`,
    );
    expect(await fs.readdir(file)).toEqual(['keep']);
    expect(await fs.readdir(dir)).toEqual(['config.yaml']);
  });

  it('fails with the cause when the folder cannot be created, naming the file', async () => {
    const blocker = path.join(dir, 'not-a-folder');
    await fs.writeFile(blocker, 'x');
    const file = path.join(blocker, 'config.yaml');
    await expect(writeConfigFile(file, sample)).rejects.toThrow(
      `cannot save the config file ${file}: part of the path is a file, not a folder (ENOTDIR); the file on disk was left as it was`,
    );
  });

  it('never lets a reader see a half-written file', async () => {
    const file = path.join(dir, 'config.yaml');
    const versions = Array.from({ length: 30 }, (_, i) => `version: 1\n# ${'x'.repeat(200_000)}\nenabled: ${i % 2 === 0}\n`);
    await writeConfigFile(file, versions[0]!);
    let writing = true;
    const seen = new Set<string>();
    const reader = (async () => {
      while (writing) seen.add(await fs.readFile(file, 'utf8'));
    })();
    for (const text of versions) await writeConfigFile(file, text);
    writing = false;
    await reader;
    expect(seen.size).toBeGreaterThan(0);
    for (const text of seen) expect(versions).toContain(text);
  });

  it('writes through a symlinked config file, so the link stays a link', async () => {
    const real = path.join(dir, 'dotfiles', 'docker-caching.yaml');
    await fs.mkdir(path.dirname(real));
    await fs.writeFile(real, 'version: 1\n');
    const link = path.join(dir, 'config.yaml');
    await fs.symlink(real, link);
    await writeConfigFile(link, sample);
    expect((await fs.lstat(link)).isSymbolicLink()).toBe(true);
    expect(await fs.readFile(real, 'utf8')).toBe(sample);
  });

  it('saves an edit onto the file as it was, keeping its comments', async () => {
    const file = path.join(dir, 'config.yaml');
    await fs.writeFile(file, sample);
    const read = await loadConfigFile(file);
    if (!read.ok) throw new Error('sample should be valid');
    const edited = configSchema.parse({ ...read.config, enabled: false });
    const { text } = renderConfigFile(file, edited, read.doc);
    await writeConfigFile(file, text);
    expect(await fs.readFile(file, 'utf8')).toBe(
      ['# team mirrors', 'version: 1', 'enabled: false', 'rules:', '  - from: docker.io/library # hub', '    to: localhost:5000', ''].join('\n'),
    );
  });
});

describe('watching the config file', () => {
  /** Records the file's text each time the watcher reports it. */
  function watchTexts(file: string, debounceMs?: number): { seen: string[]; close(): void } {
    const seen: string[] = [];
    const read = () => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return '(no file)';
      }
    };
    const watcher = watchConfigFile(file, () => seen.push(read()), debounceMs);
    return { seen, close: () => watcher.close() };
  }

  it('reports an editor-style save (new file renamed over the old) once, after the burst settles', async () => {
    const file = path.join(dir, 'config.yaml');
    await fs.writeFile(file, sample);
    const watcher = watchTexts(file);
    try {
      // Saved back to back without yielding: the watcher gets the whole burst before its quiet time can end.
      for (let i = 0; i < 5; i++) {
        writeFileSync(`${file}.swp`, `${sample}# edit ${i}\n`);
        renameSync(`${file}.swp`, file);
      }
      await waitFor(() => watcher.seen.length > 0, 5000, 'the burst to be reported');
      // A later save is reported on its own: a second report of the burst would come before it.
      await editorSave(file, `${sample}# later\n`);
      await waitFor(() => watcher.seen.includes(`${sample}# later\n`), 5000, 'the later save to be reported');
      expect(watcher.seen).toEqual([`${sample}# edit 4\n`, `${sample}# later\n`]);
    } finally {
      watcher.close();
    }
  });

  it('ignores other files in the folder', async () => {
    const file = path.join(dir, 'config.yaml');
    const notes = path.join(dir, 'notes.txt');
    await fs.writeFile(file, sample);
    const config = watchTexts(file);
    // Started later and quiet for longer: it reports the notes only after the config watcher would have.
    const barrier = watchTexts(notes, 200);
    try {
      await fs.writeFile(notes, 'hello');
      await waitFor(() => barrier.seen.length === 1, 5000, 'the write of the other file to be reported to its own watcher');
      expect(config.seen).toEqual([]);
      await fs.writeFile(file, `${sample}# in place\n`);
      await waitFor(() => config.seen.length === 1, 5000, 'an in-place write to be reported');
    } finally {
      config.close();
      barrier.close();
    }
  });

  it('notices a config file created in a folder that did not exist when watching began', async () => {
    const file = path.join(dir, 'later', 'config.yaml');
    let calls = 0;
    const watcher = watchConfigFile(file, () => calls++);
    try {
      await fs.mkdir(path.dirname(file));
      await fs.writeFile(file, sample);
      await waitFor(() => calls > 0, 5000, 'the new file to be reported');
    } finally {
      watcher.close();
    }
  });
  it('follows a symlinked config: an edit of the target in another folder, and the link moved to a new target', async () => {
    const dotfiles = path.join(dir, 'dotfiles');
    await fs.mkdir(dotfiles);
    const target = path.join(dotfiles, 'docker-caching.yaml');
    await fs.writeFile(target, sample);
    const file = path.join(dir, 'config.yaml');
    await fs.symlink(target, file);
    const watcher = watchTexts(file);
    try {
      await editorSave(target, `${sample}# edited in the dotfiles\n`);
      await waitFor(() => watcher.seen.includes(`${sample}# edited in the dotfiles\n`), 5000, 'an edit of the target to be reported');
      const other = path.join(dotfiles, 'other.yaml');
      await fs.writeFile(other, `${sample}# the new target\n`);
      await fs.rm(file);
      await fs.symlink(other, file);
      await waitFor(() => watcher.seen.at(-1) === `${sample}# the new target\n`, 5000, 'the link moved to another target to be reported');
      await fs.writeFile(other, `${sample}# the new target edited\n`);
      await waitFor(() => watcher.seen.includes(`${sample}# the new target edited\n`), 5000, 'an edit of the new target to be reported');
    } finally {
      watcher.close();
    }
  });

  it('stops reporting once closed, also a save it has already seen', async () => {
    const file = path.join(dir, 'config.yaml');
    await fs.writeFile(file, sample);
    const closed = watchTexts(file);
    // Both started later: one reports at once (the closed watcher has then seen the save too and
    // waits for quiet), one after the closed watcher's quiet time would have ended.
    const seenAtOnce = watchTexts(file, 0);
    const later = watchTexts(file, 200);
    try {
      await editorSave(file, `${sample}# one\n`);
      await waitFor(() => seenAtOnce.seen.length === 1, 5000, 'the save to be seen');
      closed.close();
      await waitFor(() => later.seen.length === 1, 5000, 'the save to be reported to the open watcher');
      expect(closed.seen).toEqual([]);
    } finally {
      seenAtOnce.close();
      later.close();
    }
  });
});
