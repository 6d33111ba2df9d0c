// The local caches as the running engine holds them: the CacheManager for its engine, the
// hooks the pull rewrite calls (lazy start, pulls recorded for eviction), and the last known
// state for the tray and the status strip, refreshed when something changes. Never blocks a
// pull on bookkeeping: recording and eviction run after the pull has answered, and a pull the
// cache served alone (a hit) costs the engine no call at all afterwards. A refresh (every health
// check) reads the containers' states and the list of our volumes, and reuses the sizes the
// manager holds: it never measures them unless they are due (cache-sizes.ts).
import type { Config } from '#shared/config/schema';
import type { CacheStatus } from '#shared/ipc';
import { maxSizeBytes } from '#shared/config/cache-schema';
import type { PullCaches } from '../rewrite/pull-rewrite';
import type { EngineClient } from '../upstream/engine-client';
import { CacheManager } from './cache-manager';
import { cacheUsagePath, upstreamLogin } from './cache-setup';
import type { CredentialLookup } from '../rewrite/remembered-credentials';
import { CachePullWatches } from './pull-watch';
import { readProxyCounters } from './proxy-counters';

/** How long a read of a cache's counters may take before its pull's hit or miss is "unknown". */
const COUNTERS_TIMEOUT_MS = 1_000;

export interface EngineCaches extends PullCaches {
  readonly manager: CacheManager;
  /** The last state read from the engine, undefined until the first read. */
  snapshot(): CacheStatus | undefined;
  /** Reads the state again; listeners hear of a difference. */
  refresh(): Promise<void>;
  onChange(listener: () => void): () => void;
  /** The config changed: a lowered `maxSize` is enforced at once (settles when it is). */
  settingsChanged(): Promise<void>;
}

export interface EngineCachesOptions {
  engine: EngineClient;
  config: () => Config;
  configPath: string;
  /** The user's credentials per host, for caches with `credentials: true` (rememberedCredentials). */
  credentials: CredentialLookup;
}

export function createEngineCaches(opts: EngineCachesOptions): EngineCaches {
  const listeners = new Set<() => void>();
  let snapshot: CacheStatus | undefined;
  let reading: Promise<void> | undefined;
  let again = false;
  // Why the last bookkeeping after a pull failed (eviction), until one succeeds.
  let bookkeepingError: string | undefined;
  let lastMaxSize = maxSizeBytes(opts.config().cache);
  // The measure last found over maxSize and handed to an eviction, so one measure starts one.
  let enforcedOn: number | undefined;

  const read = async () => {
    let next: CacheStatus;
    try {
      next = await manager.status();
      if (bookkeepingError) next.error = bookkeepingError;
    } catch (err) {
      const settings = opts.config().cache;
      next = { enabled: settings.enabled, maxSizeBytes: snapshot?.maxSizeBytes ?? 0, totalBytes: snapshot?.totalBytes ?? 0, registries: snapshot?.registries ?? [], error: (err as Error).message };
    }
    overrun(next);
    if (JSON.stringify(next) === JSON.stringify(snapshot)) return;
    snapshot = next;
    for (const l of listeners) l();
  };
  // A measure taken for the status found the caches over maxSize (grown where we could not see,
  // or more than misses said): evict now, not at the next miss.
  const overrun = (status: CacheStatus) => {
    if (!status.enabled || status.sizesMeasuredAt === undefined || status.sizesEstimated || status.totalBytes <= status.maxSizeBytes) return;
    if (status.sizesMeasuredAt === enforcedOn) return;
    enforcedOn = status.sizesMeasuredAt;
    void keepBooks(manager.enforceMaxSize(), true);
  };
  // One read at a time; a change during a read asks for one more.
  const refresh = (): Promise<void> => {
    if (reading) {
      again = true;
      return reading;
    }
    reading = (async () => {
      do {
        again = false;
        await read();
      } while (again);
    })().finally(() => (reading = undefined));
    return reading;
  };

  const manager = new CacheManager({
    engine: opts.engine,
    settings: () => opts.config().cache,
    usagePath: cacheUsagePath(opts.configPath),
    login: (host) => upstreamLogin(host, opts.credentials),
    onChange: () => void refresh(),
  });

  const watches = new CachePullWatches((registry) => readProxyCounters(manager.debugAddress(registry), COUNTERS_TIMEOUT_MS));

  return {
    manager,
    snapshot: () => snapshot,
    refresh,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ensure: (registry) => manager.use(registry),
    upstreamReachable: (registry) => manager.upstreamReachable(registry),
    watchPull: (registry) => watches.start(registry),
    pulled(registry, repository, served) {
      // A hit stored nothing new in the cache: noting when it was pulled is all there is to do
      // (no size to read from the engine, nothing to evict, no state changed).
      if (served?.kind === 'hit') return keepBooks(manager.notePull(registry, repository), false);
      // A miss grew the cache by what it fetched from upstream; otherwise by an amount not known, measured.
      return keepBooks(manager.recordPull(registry, repository, served?.kind === 'miss' ? served.bytes : undefined), true);
    },
    settingsChanged() {
      // Pulls the caches serve alone no longer look at sizes: a lower maxSize is applied now.
      const settings = opts.config().cache;
      const max = maxSizeBytes(settings);
      const lowered = settings.enabled && max < lastMaxSize;
      lastMaxSize = max;
      return lowered ? keepBooks(manager.enforceMaxSize(), true) : Promise.resolve();
    },
  };

  /** Reports bookkeeping that failed until some succeeds; the state is read again when it may have changed. */
  function keepBooks(work: Promise<unknown>, mayChange: boolean): Promise<void> {
    return work.then(
      () => {
        const reported = bookkeepingError !== undefined;
        bookkeepingError = undefined;
        return mayChange || reported ? refresh() : undefined;
      },
      (err: Error) => {
        bookkeepingError = `keeping the caches under maxSize failed: ${err.message}`;
        return refresh();
      },
    );
  }
}
