// The running config: the last good Config from the file, its revision, and the file's
// problem while the file on disk is invalid or gone. Saves from the app and edits on disk
// both pass through here, one at a time. An invalid, unreadable or deleted file never
// replaces the last good config (a deleted file is reported; saving recreates it).
// The revision goes up with every change listeners are told of: a save, a valid edit on
// disk, or the file turning invalid (or valid again).
import type { Document } from 'yaml';
import type { ConfigProblem, ConfigState } from '#shared/ipc';
import { defaultConfig, sameConfig, type Config, type Rule } from '#shared/config/schema';
import { formatProblem, validateConfig } from '#shared/config/validate';
import { loadConfigFile, renderConfigFile, watchConfigFile, writeConfigFile, type ConfigFileRead, type ConfigFileWatcher } from './config-file';
import type { ConfigHandle } from '../engine';
import { Listeners } from '../listeners';

type Listener = (state: ConfigState) => void;

/** One look at the file on disk after a watcher event: whether it changed the running config (or its error). */
export interface DiskCheck {
  changed: boolean;
  revision: number;
}

export class ConfigStore implements ConfigHandle {
  private revision = 1;
  private closed = false;
  private error: ConfigProblem | undefined;
  /** The file was there and went away: `error` says so, and a save may recreate it. */
  private deleted = false;
  private watcher: ConfigFileWatcher | undefined;
  private readonly listeners = new Listeners<[ConfigState]>('config');
  private readonly checks = new Listeners<[DiskCheck]>('config check');
  // Saves and reloads run one after another, so a reload never sees half of a save.
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly path: string,
    private config: Config,
    /** The file's parsed document, onto which saves are applied to keep its comments. */
    private doc: Document | null,
    /** The file's text as last read or written; null when there is no file. */
    private diskText: string | null,
  ) {}

  /**
   * Loads the file (a missing file means the defaults) and starts watching it. Rejects with
   * the one-line problem (`config.yaml:7: rules.0.to: ...`) when the file is invalid, unless
   * `allowInvalid`.
   */
  static async open(path: string, opts: { allowInvalid?: boolean } = {}): Promise<ConfigStore> {
    const read = await loadConfigFile(path);
    if (!read.ok && !opts.allowInvalid) throw new Error(formatProblem(read.problem));
    // With allowInvalid (the desktop app), an invalid file starts the defaults (no rules) with
    // the problem reported, and a fixed file is picked up by the watcher like any other edit.
    const store = read.ok ? new ConfigStore(path, read.config, read.doc, read.text) : new ConfigStore(path, defaultConfig, null, read.text);
    if (!read.ok) store.error = read.problem;
    store.watcher = watchConfigFile(path, () => void store.reload().then((changed) => {
      if (!store.closed) store.checks.emit({ changed, revision: store.revision });
    }));
    // An edit made between the first read and the watcher starting would otherwise be missed.
    await store.reload();
    return store;
  }

  get(): ConfigState {
    return {
      config: this.config,
      revision: this.revision,
      path: this.path,
      ...(this.error === undefined ? {} : { error: this.error }),
    };
  }

  save(config: Config, baseRevision: number): Promise<ConfigState> {
    return this.serially(async () => {
      if (baseRevision !== this.revision) {
        throw new Error(
          `the config file changed on disk since you loaded it (you started from revision ${baseRevision}, it is now at ${this.revision}): reload it and make your change again`,
        );
      }
      return this.write(config);
    });
  }

  /**
   * The way out of an invalid file the user cannot (or will not) fix by hand: writes the file
   * anew with the running settings and these rules. Refused while the file is valid, so it can
   * never overwrite a good file behind an editor's back (that is what `save` is for).
   */
  replaceInvalidFile(rules: Rule[]): Promise<ConfigState> {
    return this.serially(() => {
      if (this.error === undefined) throw new Error('the config file is valid now, so it was not replaced: save your rules instead');
      // The broken file's document is not kept: its comments cannot be carried over reliably.
      this.doc = null;
      return this.write({ ...this.config, rules }, { overwriteInvalid: true });
    });
  }

  setEnabled(enabled: boolean): Promise<ConfigState> {
    return this.serially(() => this.write({ ...this.config, enabled }));
  }

  setRuleEnabled(index: number, enabled: boolean): Promise<ConfigState> {
    return this.serially(() => {
      const rules = this.config.rules;
      if (index < 0 || index >= rules.length) {
        throw new Error(`there is no rule number ${index}: the config has ${rules.length} rules, numbered from 0`);
      }
      return this.write({ ...this.config, rules: rules.map((rule, i) => (i === index ? { ...rule, enabled } : rule)) });
    });
  }

  onChange(listener: Listener): () => void {
    return this.listeners.add(listener);
  }

  /**
   * Hears every look at the file that an event on disk caused, also those that found nothing
   * to take in (our own save, a comment-only edit): the point after which an edit has been
   * judged, which is what a caller waits for instead of a time.
   */
  onChecked(listener: (check: DiskCheck) => void): () => void {
    return this.checks.add(listener);
  }

  /** Stops watching the file. */
  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
  }

  private async write(draft: Config, opts: { overwriteInvalid?: boolean } = {}): Promise<ConfigState> {
    if (this.error !== undefined && !opts.overwriteInvalid && !this.deleted) {
      throw new Error(
        `the config file has an error, and saving now would overwrite the edit in progress: ${formatProblem(this.error)}; fix the file first`,
      );
    }
    const checked = validateConfig(draft);
    if (!checked.ok) {
      const issues = checked.issues.map((issue) => (issue.field ? `${issue.field}: ${issue.message}` : issue.message));
      throw new Error(`the config was not saved because it is invalid: ${issues.join('; ')}`);
    }
    if (sameConfig(checked.config, this.config) && this.error === undefined) return this.get();
    const { text, doc } = renderConfigFile(this.path, checked.config, this.doc);
    await writeConfigFile(this.path, text);
    this.diskText = text;
    this.doc = doc;
    this.config = checked.config;
    this.error = undefined;
    this.deleted = false;
    this.changed();
    return this.get();
  }

  /** Reads the file and takes it in; true when that changed the config or its error. */
  private reload(): Promise<boolean> {
    return this.serially(async () => {
      const read = await loadConfigFile(this.path);
      return !this.closed && this.accept(read);
    });
  }

  private accept(read: ConfigFileRead): boolean {
    if (read.ok && read.text === null && (this.diskText !== null || this.deleted)) return this.goneFromDisk();
    this.deleted = false;
    // Our own save, or an event that changed nothing.
    if (read.text === this.diskText && read.ok === (this.error === undefined)) return false;
    this.diskText = read.text;
    if (read.ok) {
      this.doc = read.doc;
      if (this.error === undefined && sameConfig(read.config, this.config)) return false;
      this.config = read.config;
      this.error = undefined;
    } else {
      if (this.error !== undefined && formatProblem(this.error) === formatProblem(read.problem)) return false;
      this.error = read.problem;
    }
    this.changed();
    return true;
  }

  /** The file was deleted: the rules in force stay (block rules included), with a warning. */
  private goneFromDisk(): boolean {
    if (this.deleted) return false;
    this.deleted = true;
    this.diskText = null;
    this.doc = null;
    this.error = { file: this.path, message: 'the config file was deleted; the last good rules stay in force until it is back (or saved from the app)' };
    this.changed();
    return true;
  }

  private changed(): void {
    this.revision++;
    this.listeners.emit(this.get());
  }

  private serially<T>(task: () => T | Promise<T>): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
