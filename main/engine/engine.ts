// The engine as the two faces (CLI `serve`, Electron shell) see it: start it with options,
// then read its log, config, status; stop it. Never imports electron.
import type { ConfigState, MirrorCheck, Status } from '#shared/ipc';
import type { Config, Rule } from '#shared/config/schema';
import type { LogStore } from './log/log-store';

export interface EngineOptions {
  /** Config file path; default: the platform's config location. */
  configPath?: string;
  /** Socket path to listen on; overrides the config's `listen`. */
  listen?: string;
  /** Upstream URL (`unix:///…`, `tcp://host:port`, `npipe://…`); overrides the config's `upstream`. */
  upstream?: string;
  env?: NodeJS.ProcessEnv;
  home?: string;
}

/** The running config, loaded from and saved to its file, watched for edits. */
export interface ConfigHandle {
  get(): ConfigState;
  /** Validates, saves atomically, swaps the rules in; rejects if `baseRevision` is stale. */
  save(config: Config, baseRevision: number): Promise<ConfigState>;
  /** Only while the file is invalid: writes it anew with the running settings and `rules`. */
  replaceInvalidFile(rules: Rule[]): Promise<ConfigState>;
  setEnabled(enabled: boolean): Promise<ConfigState>;
  setRuleEnabled(index: number, enabled: boolean): Promise<ConfigState>;
  onChange(listener: (state: ConfigState) => void): () => void;
}

export interface Engine {
  readonly logs: LogStore;
  readonly config: ConfigHandle;
  status(): Status;
  onStatus(listener: (status: Status) => void): () => void;
  checkMirror(location: string): Promise<MirrorCheck>;
  /** Stops and removes the local caches' containers and volumes (only docker-caching's own). */
  clearCache(): Promise<void>;
  /** Asks the upstream engine now (the window's Retry) and returns the status that follows. */
  recheckUpstream(): Promise<Status>;
  stop(): Promise<void>;
}
