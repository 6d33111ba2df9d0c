// The one contract between main and the renderer: invoke channels (request schema +
// response type) and pushed events (payload type). Main validates every request with
// these schemas; the preload builds its API from the channel lists. Pure: no Node, no DOM.
import { z } from 'zod';
import { configSchema, type Config } from './config/schema';
import type { LogDetail, LogEntry } from './log';

/** A config file problem, located as precisely as the parser allows. */
export interface ConfigProblem {
  file: string;
  line?: number;
  column?: number;
  /** Dotted path of the offending field, e.g. `rules.0.to`. */
  field?: string;
  message: string;
}

export interface UpstreamStatus {
  /** e.g. `unix:///var/run/docker.sock` */
  address: string;
  healthy: boolean;
  /** Engine version when healthy. */
  version?: string;
  error?: string;
}

export interface Counters {
  redirected: number;
  fellBack: number;
  blocked: number;
  failed: number;
  bytesFromMirrors: number;
  /** Pulls the local cache served. */
  fromCache: number;
}

/** One registry's local cache, as the tray, the status strip and `cache status` show it. */
export interface CacheRegistryStatus {
  registry: string;
  port: number;
  state: 'not started' | 'running' | 'stopped' | 'error';
  /** The container's name, or null when there is none. */
  container: string | null;
  /** What its volume holds, or null when unknown (no volume yet). */
  sizeBytes: number | null;
  remote: string;
  /** Why the cache cannot be used, when it cannot. */
  error?: string;
  /** The repository being evicted (over maxSize) while its registry is stopped for a moment. */
  evicting?: string;
  /** Why its container was last made again (its settings or the user's docker login changed), since the engine started. */
  recreated?: string;
}

/** The local caches together. */
export interface CacheStatus {
  enabled: boolean;
  maxSizeBytes: number;
  totalBytes: number;
  /**
   * When the sizes were last measured on the engine (ms since epoch); absent while no cache has
   * a volume. Measuring walks every volume on the engine's host, so it is done only when it
   * matters (main/engine/cache/cache-sizes.ts).
   */
  sizesMeasuredAt?: number;
  /** The sizes were measured, then grown by what misses fetched from upstream since: an estimate. */
  sizesEstimated?: true;
  registries: CacheRegistryStatus[];
  /** Why the caches' state could not be read (the engine unreachable, say). */
  error?: string;
}

export interface Status {
  /** The proxy socket path, null when not listening. */
  listening: string | null;
  listenError?: string;
  upstream: UpstreamStatus;
  /** The master switch. */
  enabled: boolean;
  configPath: string;
  configError?: ConfigProblem;
  counters: Counters;
  /** Whether the `docker-caching` docker context is current. */
  dockerContextActive: boolean;
  /** The local caches, once their state has been read from the engine. */
  cache?: CacheStatus;
}

export interface ConfigState {
  config: Config;
  /** Increments on every accepted change (saved from the app or edited on disk). */
  revision: number;
  path: string;
  /** Set when the file on disk is invalid; `config` is then the last good one. */
  error?: ConfigProblem;
}

export interface LogSnapshot {
  entries: LogEntry[];
  /** Entries dropped by the ring buffer's cap since the engine started. */
  dropped: number;
  lastSeq: number;
}

export interface MirrorCheck {
  location: string;
  state: 'reachable' | 'needs login' | 'unreachable';
  /** Plain-words explanation, e.g. `HTTP 401 from https://mirror/v2/` or `connection refused`. */
  reason: string;
  status?: number;
}

export type View = 'inspector' | 'rules';

/** Errors as values: every invoke reply crosses the boundary in this envelope. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

const mirrorLocation = z.string().min(1).max(255);
/** The most mirror locations a draft may report (a hand-made config has a few dozen). */
export const MAX_DRAFT_MIRRORS = 256;

/** Invoke channels: request schema (validated in main) and response type. */
export const invokeChannels = {
  'status.get': z.void(),
  'config.get': z.void(),
  'config.save': z.strictObject({ config: configSchema, baseRevision: z.number().int().nonnegative() }),
  'config.setEnabled': z.boolean(),
  'config.setRuleEnabled': z.strictObject({ index: z.number().int().nonnegative(), enabled: z.boolean() }),
  'logs.snapshot': z.strictObject({ limit: z.number().int().positive().max(100_000).optional() }).optional(),
  'logs.detail': z.number().int().nonnegative(),
  'logs.clear': z.void(),
  /** The mirror locations of the rules being edited, replacing those sent before: main holds them for `mirror.check`. */
  'rules.draft': z.strictObject({ mirrors: z.array(mirrorLocation).max(MAX_DRAFT_MIRRORS) }),
  /** Probes a location of the saved rules or of the draft main holds, at a bounded rate (main/shell/mirror-check-gate.ts). */
  'mirror.check': z.strictObject({ location: mirrorLocation }),
  'app.openExternal': z.string().url().max(2048),
  'app.copyText': z.string().max(10_000),
  /** Asks the engine again now (the alert's Retry), instead of waiting for the next health check. */
  'engine.retry': z.void(),
  /** Opens the config file in the user's editor / shows it in the file manager. Main knows the path. */
  'config.openFile': z.void(),
  'config.showInFolder': z.void(),
  /** Only while the file is invalid, after the user confirmed: writes it anew with these rules. */
  'config.replaceInvalidFile': z.strictObject({ rules: configSchema.shape.rules }),
  /** The window's "use docker-caching for docker commands" (the tray has the same switch). */
  'dockerContext.set': z.boolean(),
} as const;

export type InvokeChannel = keyof typeof invokeChannels;
export type InvokeRequest<C extends InvokeChannel> = z.input<(typeof invokeChannels)[C]>;

export interface InvokeResponses {
  'status.get': Status;
  'config.get': ConfigState;
  'config.save': ConfigState;
  'config.setEnabled': ConfigState;
  'config.setRuleEnabled': ConfigState;
  'logs.snapshot': LogSnapshot;
  'logs.detail': LogDetail | null;
  'logs.clear': void;
  'rules.draft': void;
  'mirror.check': MirrorCheck;
  'app.openExternal': void;
  'app.copyText': void;
  'engine.retry': Status;
  'config.openFile': void;
  'config.showInFolder': void;
  'config.replaceInvalidFile': ConfigState;
  'dockerContext.set': Status;
}

/** Events pushed from main to windows. */
export interface PushEvents {
  /** New or updated log summaries (updates reuse the seq), batched. */
  'logs.batch': { entries: LogEntry[]; dropped: number; lastSeq: number };
  'logs.cleared': void;
  'config.changed': ConfigState;
  'status.changed': Status;
  /** Main asks the window to show a view (tray "Open Inspector" / "Edit Rules…"). */
  'view.show': View;
}

export type PushEvent = keyof PushEvents;
export const pushEvents: readonly PushEvent[] = [
  'logs.batch', 'logs.cleared', 'config.changed', 'status.changed', 'view.show',
];

/** The API the preload exposes on `window.dockerCaching`. */
export interface DockerCachingApi {
  invoke<C extends InvokeChannel>(channel: C, ...request: InvokeRequest<C> extends undefined | void ? [] | [InvokeRequest<C>] : [InvokeRequest<C>]): Promise<Result<InvokeResponses[C]>>;
  /** Subscribe to a pushed event; returns the unsubscribe function. */
  on<E extends PushEvent>(event: E, listener: (payload: PushEvents[E]) => void): () => void;
}

/** The global name under which the preload exposes the API. */
export const API_NAME = 'dockerCaching';
