// The record of pulls that went through a cache (registry, repository, when), kept in a
// small JSON file so eviction still knows the least recently pulled after a restart.
// Never holds anything but registry and repository names and times.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RepositoryUse } from './eviction';

export class UsageFile {
  private uses: RepositoryUse[] | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {}

  async list(): Promise<RepositoryUse[]> {
    this.uses ??= await this.read();
    return [...this.uses];
  }

  async record(registry: string, repository: string, when = Date.now()): Promise<void> {
    const uses = (this.uses ??= await this.read());
    const found = uses.find((u) => u.registry === registry && u.repository === repository);
    if (found) found.lastPulled = when;
    else uses.push({ registry, repository, lastPulled: when });
    await this.save();
  }

  /** Forgets repositories (evicted), or every repository of a registry (cleared). */
  async forget(registry: string, repository?: string): Promise<void> {
    const uses = (this.uses ??= await this.read());
    this.uses = uses.filter((u) => !(u.registry === registry && (repository === undefined || u.repository === repository)));
    await this.save();
  }

  private async read(): Promise<RepositoryUse[]> {
    try {
      const parsed = JSON.parse(await readFile(this.path, 'utf8')) as unknown;
      return Array.isArray(parsed) ? parsed.filter(isUse) : [];
    } catch {
      return [];
    }
  }

  // Writes one after another, each whole (temp file, then rename).
  private save(): Promise<void> {
    const text = JSON.stringify(this.uses ?? []);
    this.writing = this.writing.catch(() => undefined).then(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      const temp = `${this.path}.${process.pid}.tmp`;
      await writeFile(temp, text, { mode: 0o600 });
      await rename(temp, this.path);
    });
    return this.writing;
  }
}

function isUse(value: unknown): value is RepositoryUse {
  const v = value as RepositoryUse;
  return typeof v === 'object' && v !== null && typeof v.registry === 'string' && typeof v.repository === 'string' && typeof v.lastPulled === 'number';
}
