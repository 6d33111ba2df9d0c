// Runs the local caches on the engine we front, through the Docker API: one Distribution
// container and one named volume per cached registry, made lazily, labelled as ours, started,
// stopped, cleared, measured, and kept under `maxSize` by evicting the least recently pulled
// repositories. Never touches a container or volume without our labels, whatever its name,
// and never pulls its own image through a cache (its requests go to the engine directly).
// Never measures the volumes (a `/system/df` walks every volume on the host) when the sizes it
// holds will do: see cache-sizes.ts for when it must.
import { createHmac, randomBytes } from 'node:crypto';
import type { CacheSettings, CachedRegistry } from '#shared/config/cache-schema';
import { cachedRegistries, maxSizeBytes } from '#shared/config/cache-schema';
import { nameString, parseNormalizedNamed } from '#shared/reference';
import { dockerErrorMessage, type EngineClient } from '../upstream/engine-client';
import {
  cacheAddress, cacheName, containerSpec, debugAddress, evictionSpec, fingerprint, identityInEnv, isOwn, loginChange, loginHost, loginInEnv,
  OWNER_LABEL, OWNER_VALUE, REGISTRY_LABEL, SPEC_LABEL, volumeSpec, type UpstreamLogin,
} from './cache-specs';
import { newIdentity, whoServes } from './cache-identity';
import { nextEviction } from './eviction';
import { CacheSizes, type SizesPurpose } from './cache-sizes';
import { UsageFile } from './usage-file';
import { upstreamAnswers } from './upstream-probe';
import { readProxyCounters } from './proxy-counters';
import type { CacheRegistryStatus, CacheStatus } from '#shared/ipc';

export type { CacheRegistryStatus, CacheStatus };

/** `recreated`: why its container was just made again (settings or the user's docker login changed). */
/**
 * `started`: the container was looked at again and started if it had to be, so anything read
 * from the registry before may be from before it ran.
 */
export type EnsureResult = { ok: true; address: string; recreated?: string; started?: true } | { ok: false; reason: string };
/** A cache ready for one pull: until `release`, no eviction stops it. */
export type Lease = { ok: true; address: string; recreated?: string; started?: true; release(outcome?: { failed: boolean }): void } | { ok: false; reason: string };

export interface CacheManagerOptions {
  engine: EngineClient;
  settings: () => CacheSettings;
  /** Where the record of pulls through the caches is kept (for least-recently-pulled eviction). */
  usagePath: string;
  /**
   * The user's docker login for a registry host, for caches with `credentials: true`; read again
   * for every pull through such a cache, so a new `docker login` (or logout) reaches the next one.
   */
  login?: (host: string) => Promise<UpstreamLogin | undefined>;
  /** How long a failed start is remembered before a pull tries again. */
  retryAfterMs?: number;
  /** How long a starting container may take to listen. */
  startTimeoutMs?: number;
  onChange?: () => void;
}

interface ContainerInfo {
  Id: string;
  Name: string;
  Config: { Labels: Record<string, string> | null; Env: string[] | null };
  State: { Status: string; Running: boolean; Restarting: boolean; ExitCode: number; FinishedAt: string };
}

class CacheError extends Error {}

/** How old a measure of the sizes may be for an eviction to be decided on it (one taken for the status just before, say). */
const TRIM_MEASURE_AGE_MS = 30_000;

/** How long a pull's probe of its cache's upstream may take before the upstream counts as unreachable. */
const UPSTREAM_PROBE_TIMEOUT_MS = 3_000;
/** How long the cache's port may take to say who serves it (a loopback GET of a few ms when it is ours). */
const IDENTITY_CHECK_TIMEOUT_MS = 1_000;
/** How long a started cache whose port answers may take for its debug server to answer too. */
const DEBUG_GRACE_MS = 5_000;

/** Where a started container should answer: its port, with the identity it was given, and its debug server. */
interface Serving {
  port: number;
  identity: string;
  debugPort: number;
}

export class CacheManager {
  private readonly usage: UsageFile;
  private readonly sizes = new CacheSizes();
  private measuringNow: Promise<{ sizes: Map<string, number>; begun: number }> | undefined;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly failures = new Map<string, { reason: string; at: number; fingerprint: string }>();
  /** Registries whose cache is being trimmed, with the repository evicted. */
  private readonly evicting = new Map<string, string>();
  /** Pulls in flight through each registry's cache, and who waits for there to be none. */
  private readonly inUse = new Map<string, number>();
  private readonly idleWaiters = new Map<string, (() => void)[]>();
  private trimming: Promise<unknown> = Promise.resolve();
  /**
   * Registries whose container this manager last saw running and listening, with the settings'
   * fingerprint then and the container's identity: a pull skips asking the engine while that
   * container is what answers at its port. Forgotten on a failed pull through it, on down,
   * clear and eviction.
   */
  private readonly ready = new Map<string, { wanted: string; identity: string }>();
  /** Why each registry's container was last made again, while this manager runs (for the status). */
  private readonly recreated = new Map<string, string>();
  /**
   * Keys the in-memory tag of a login (in `ready` and `failures`, so a changed login is noticed
   * without asking the engine): random per run, so the tag says nothing of the password.
   */
  private readonly loginKey = randomBytes(32);

  constructor(private readonly opts: CacheManagerOptions) {
    this.usage = new UsageFile(opts.usagePath);
  }

  /** The registries the settings cache (whether the cache is on or off). */
  registries(): CachedRegistry[] {
    return cachedRegistries(this.opts.settings());
  }

  private entry(registry: string): CachedRegistry {
    const entry = this.registries().find((r) => r.registry === registry);
    if (!entry) throw new CacheError(`${registry} is not a cached registry in the config`);
    return entry;
  }

  /**
   * Each registry's state, container and size, with the total against `maxSize`. The sizes are
   * the last measured, grown by what misses fetched since, unless they are due to be measured
   * again (cache-sizes.ts); `exact` measures them now (what the user asked for by name).
   */
  async status({ exact = false } = {}): Promise<CacheStatus> {
    const settings = this.opts.settings();
    const [containers, sizes] = await Promise.all([this.ownContainers(), this.volumeSizes(exact ? 'now' : 'status')]);
    const freshness = this.sizes.freshness();
    const registries = this.registries().map((entry): CacheRegistryStatus => {
      const container = containers.get(entry.registry);
      const failure = this.failures.get(entry.registry);
      const state: CacheRegistryStatus['state'] = failure ? 'error' : !container ? 'not started' : container.State === 'running' ? 'running' : 'stopped';
      return {
        registry: entry.registry,
        port: entry.port,
        state,
        container: container ? cacheName(entry.registry) : null,
        sizeBytes: sizes.get(entry.registry) ?? null,
        remote: entry.remote,
        ...(failure ? { error: failure.reason } : {}),
        ...(this.evicting.has(entry.registry) ? { evicting: this.evicting.get(entry.registry) } : {}),
        ...(this.recreated.has(entry.registry) ? { recreated: this.recreated.get(entry.registry) } : {}),
      };
    });
    return {
      enabled: settings.enabled,
      maxSizeBytes: maxSizeBytes(settings),
      totalBytes: sum(sizes),
      ...(sizes.size > 0 && freshness.measuredAt !== undefined ? { sizesMeasuredAt: freshness.measuredAt } : {}),
      ...(sizes.size > 0 && freshness.estimated ? { sizesEstimated: true } : {}),
      registries,
    };
  }

  /**
   * Makes the registry's cache ready to pull from: volume and container created if missing
   * (or made again, volume kept, when the settings or the user's docker login changed), started, listening. A failure is remembered for
   * a while, so pulls in that time fall back at once; `force` tries again anyway.
   */
  ensure(registry: string, { force = false } = {}): Promise<EnsureResult> {
    return this.prepare(registry, force, false);
  }

  /**
   * `ensure` for a pull: while the pull runs (until `release`), no eviction stops this cache.
   * During an eviction it answers at once that the cache cannot be used, and why.
   */
  async use(registry: string): Promise<Lease> {
    const ready = await this.prepare(registry, false, true);
    if (!ready.ok) return ready;
    let released = false;
    return {
      ...ready,
      release: (outcome) => {
        if (released) return;
        released = true;
        // Whatever failed, the next pull looks at the container again.
        if (outcome?.failed) this.ready.delete(registry);
        const left = (this.inUse.get(registry) ?? 1) - 1;
        if (left > 0) return void this.inUse.set(registry, left);
        this.inUse.delete(registry);
        for (const wake of this.idleWaiters.get(registry)?.splice(0) ?? []) wake();
      },
    };
  }

  private prepare(registry: string, force: boolean, lease: boolean): Promise<EnsureResult> {
    // Not behind the lock: an eviction holds it while the registry is stopped.
    const evicting = this.evictionReason(registry);
    if (evicting) return Promise.resolve({ ok: false, reason: evicting });
    return this.locked(registry, async (): Promise<EnsureResult> => {
      // An eviction may have begun while this waited for the lock.
      const begun = this.evictionReason(registry);
      if (begun) return { ok: false, reason: begun };
      let entry: CachedRegistry;
      try {
        entry = this.entry(registry);
      } catch (err) {
        return { ok: false, reason: (err as Error).message };
      }
      const settings = this.opts.settings();
      const print = fingerprint(settings, entry);
      // The login as it is now: a changed one makes the state wanted differ from the one last seen.
      const login = entry.credentials ? await this.opts.login?.(loginHost(entry)) : undefined;
      const wanted = entry.credentials ? `${print}/${this.loginTag(login)}` : print;
      const failure = this.failures.get(registry);
      if (!force && failure && failure.fingerprint === wanted && Date.now() - failure.at < (this.opts.retryAfterMs ?? 30_000)) {
        return { ok: false, reason: failure.reason };
      }
      try {
        let recreated: string | undefined;
        let started = false;
        // Seen running with these settings and this login, and that very container answers at its port: no engine round trip.
        const seen = this.ready.get(registry);
        if (force || seen?.wanted !== wanted || (await whoServes(entry.port, seen.identity, IDENTITY_CHECK_TIMEOUT_MS)) !== 'this cache') {
          this.ready.delete(registry);
          started = true;
          const made = await this.start(settings, entry, print, login);
          recreated = made.recreated;
          this.ready.set(registry, { wanted, identity: made.identity });
        }
        if (recreated) this.recreated.set(registry, recreated);
        if (this.failures.delete(registry) || recreated) this.opts.onChange?.();
        // Counted before the lock is let go, so an eviction that begins next waits for this pull.
        if (lease) this.inUse.set(registry, (this.inUse.get(registry) ?? 0) + 1);
        return { ok: true, address: cacheAddress(entry), ...(recreated ? { recreated } : {}), ...(started ? { started: true as const } : {}) };
      } catch (err) {
        const reason = `the local cache for ${registry} cannot be used: ${(err as Error).message}`;
        this.failures.set(registry, { reason, at: Date.now(), fingerprint: wanted });
        this.opts.onChange?.();
        return { ok: false, reason };
      }
    });
  }

  /** Whether the registry's upstream answers at all, asked from here (any HTTP answer counts). */
  upstreamReachable(registry: string): Promise<boolean> {
    let remote: string;
    try {
      remote = this.entry(registry).remote;
    } catch {
      return Promise.resolve(false);
    }
    return upstreamAnswers(remote, UPSTREAM_PROBE_TIMEOUT_MS);
  }

  /** Where the registry's cache tells its hit and miss counters (its Distribution debug server). */
  debugAddress(registry: string): string {
    return debugAddress(this.entry(registry));
  }

  /** Starts the given registries' caches (default: all the config caches). */
  async up(registries?: readonly string[]): Promise<{ registry: string; result: EnsureResult }[]> {
    const names = registries ?? this.registries().map((r) => r.registry);
    return Promise.all(names.map(async (registry) => ({ registry, result: await this.ensure(registry, { force: true }) })));
  }

  /** Stops and removes the given registries' containers (volumes kept). Returns what it removed. */
  async down(registries?: readonly string[]): Promise<string[]> {
    const names = registries ?? await this.knownRegistries();
    const removed: string[] = [];
    for (const registry of names) {
      await this.locked(registry, async () => {
        this.failures.delete(registry);
        this.ready.delete(registry);
        this.recreated.delete(registry);
        const container = await this.inspect(registry);
        if (container && isOwn(container.Config.Labels, registry)) {
          await this.removeContainer(container.Id);
          removed.push(container.Name.replace(/^\//, ''));
        }
      });
    }
    this.opts.onChange?.();
    return removed;
  }

  /** `down`, then removes the volumes too: what the caches held is gone. */
  async clear(registries?: readonly string[]): Promise<string[]> {
    const names = registries ?? await this.knownRegistries();
    await this.down(names);
    const removed: string[] = [];
    for (const registry of names) {
      await this.locked(registry, async () => {
        const volume = await this.inspectVolume(registry);
        if (!volume || !isOwn(volume.Labels, registry)) return;
        const res = await this.opts.engine.call('DELETE', `/volumes/${encodeURIComponent(volume.Name)}`);
        if (res.status !== 204 && res.status !== 404) throw new Error(`cannot remove volume ${volume.Name}: ${dockerErrorMessage(res.text)}`);
        removed.push(volume.Name);
        this.sizes.removed(registry);
        await this.usage.forget(registry);
      });
    }
    this.opts.onChange?.();
    return removed;
  }

  /** Notes a pull that went through `registry`'s cache and stored nothing new there (a hit): no size can have grown. */
  notePull(registry: string, repository: string): Promise<void> {
    return this.usage.record(registry, repository);
  }

  /**
   * Notes a pull that went through `registry`'s cache and stored `storedBytes` there (what it
   * fetched from upstream; undefined when not known, and then measured), then evicts the least
   * recently pulled repositories while the caches together hold more than `maxSize`. Returns
   * what it evicted.
   */
  async recordPull(registry: string, repository: string, storedBytes?: number): Promise<{ registry: string; repository: string }[]> {
    this.sizes.grew(registry, storedBytes, Date.now());
    await this.usage.record(registry, repository);
    return this.enforceMaxSize();
  }

  /** Evicts least recently pulled repositories until the caches fit `maxSize` (one trim at a time). */
  enforceMaxSize(): Promise<{ registry: string; repository: string }[]> {
    const run = this.trimming.then(() => this.trim());
    this.trimming = run.catch(() => undefined);
    return run;
  }

  private async trim(): Promise<{ registry: string; repository: string }[]> {
    const evicted: { registry: string; repository: string }[] = [];
    const max = maxSizeBytes(this.opts.settings());
    for (;;) {
      let sizes = await this.volumeSizes('eviction');
      const uses = (await this.usage.list()).filter((u) => sizes.has(u.registry));
      if (!nextEviction(uses, sum(sizes), max)) break;
      // Nothing is deleted on an estimate, nor on a measure older than a moment.
      if ((this.sizes.measureAge(Date.now()) ?? Infinity) > TRIM_MEASURE_AGE_MS) sizes = await this.volumeSizes('now');
      const victim = nextEviction(uses.filter((u) => sizes.has(u.registry)), sum(sizes), max);
      if (!victim) break;
      await this.evict(victim.registry, victim.repository);
      evicted.push({ registry: victim.registry, repository: victim.repository });
    }
    if (evicted.length) this.opts.onChange?.();
    return evicted;
  }

  /**
   * Removes one repository from a registry's cache and frees the blobs only it used. New pulls
   * go to the original registry meanwhile (`use` says why); pulls in flight through the cache
   * finish first, and it serves again only once it listens.
   */
  private async evict(registry: string, repository: string): Promise<void> {
    this.evicting.set(registry, repository);
    this.ready.delete(registry);
    this.opts.onChange?.();
    try {
      await this.idle(registry);
      await this.locked(registry, async () => {
        const settings = this.opts.settings();
        const container = await this.inspect(registry);
        const wasRunning = container !== undefined && isOwn(container.Config.Labels, registry) && container.State.Running;
        // garbage-collect needs the registry stopped: nothing may write while it marks and sweeps.
        if (wasRunning) await this.opts.engine.call('POST', `/containers/${container.Id}/stop?t=10`);
        try {
          await this.runOnce(evictionSpec(settings, registry, [repository]));
        } finally {
          await this.usage.forget(registry, repository);
          this.sizes.changed(`${repository} was evicted from the cache for ${registry}`);
          const identity = container && identityInEnv(container.Config.Env);
          const entry = this.registries().find((r) => r.registry === registry);
          // One made before identities is made again by the next pull; its log alone says it listens.
          if (wasRunning) await this.startServing(container.Id, entry && identity ? { port: entry.port, identity, debugPort: entry.debugPort } : undefined);
        }
      });
    } finally {
      this.evicting.delete(registry);
      this.opts.onChange?.();
    }
  }

  private evictionReason(registry: string): string | undefined {
    const repository = this.evicting.get(registry);
    return repository === undefined ? undefined : `the local cache for ${registry} is stopped for a moment to evict ${repository} (the caches are over maxSize)`;
  }

  /** Resolves once no pull runs through the registry's cache. */
  private idle(registry: string): Promise<void> {
    if (!this.inUse.has(registry)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.idleWaiters.get(registry) ?? [];
      waiters.push(resolve);
      this.idleWaiters.set(registry, waiters);
    });
  }

  // Registries with a container or volume of ours, and those the config names.
  private async knownRegistries(): Promise<string[]> {
    const names = new Set(this.registries().map((r) => r.registry));
    for (const registry of (await this.ownContainers()).keys()) names.add(registry);
    return [...names];
  }

  /**
   * Creates (or makes again) and starts the registry's container, and makes sure that container
   * is what answers at its port; gives its identity, and says why when it was made again.
   */
  private async start(settings: CacheSettings, entry: CachedRegistry, print: string, login: UpstreamLogin | undefined): Promise<{ identity: string; recreated?: string }> {
    const { engine } = this.opts;
    let container = await this.inspect(entry.registry);
    if (container && !isOwn(container.Config.Labels, entry.registry)) {
      throw new CacheError(`a container named ${cacheName(entry.registry)} exists that docker-caching did not create; it is left alone (rename or remove it)`);
    }
    const recreated = container && outdated(container, entry, print, login);
    if (container && recreated) {
      // The volume stays: what the cache holds survives.
      await this.removeContainer(container.Id);
      container = undefined;
    }
    if (!container) {
      await this.ensureImage(settings.image);
      await this.ensureVolume(entry.registry);
      const res = await engine.call('POST', `/containers/create?name=${encodeURIComponent(cacheName(entry.registry))}`, jsonBody(containerSpec(settings, entry, newIdentity(), login)));
      if (res.status !== 201) throw new CacheError(`cannot create its container: ${dockerErrorMessage(res.text)}`);
      container = await this.inspect(entry.registry);
      if (!container) throw new CacheError('its container vanished right after it was created');
    }
    // Read back from the container itself: what its Distribution was told to answer with.
    const identity = identityInEnv(container.Config.Env);
    if (!identity) throw new CacheError('its container has no identity although it was just made with one');
    const made = { identity, ...(recreated ? { recreated } : {}) };
    const serving = { port: entry.port, identity, debugPort: entry.debugPort };
    if (container.State.Running && !container.State.Restarting) {
      // Running: its port answers as this container, or (an engine whose loopback is not this
      // machine's) not at all from here. Another server there means ours could not bind it.
      if ((await whoServes(entry.port, identity, IDENTITY_CHECK_TIMEOUT_MS)) !== 'another server') return made;
      await this.waitListening(container.Id, serving, logsAfter(container.State.FinishedAt));
      return made;
    }
    await this.startServing(container.Id, serving);
    return made;
  }

  /** Starts a container of ours and waits until it serves (see waitListening). */
  private async startServing(id: string, serving: Serving | undefined): Promise<void> {
    // Its log from the end of its last run on: a line this start writes may be stamped before
    // the engine notes the start itself (StartedAt), on a loaded machine by tens of ms.
    const since = logsAfter((await this.inspectId(id))?.State.FinishedAt);
    const started = await this.opts.engine.call('POST', `/containers/${id}/start`);
    if (started.status !== 204 && started.status !== 304) {
      await this.stopQuietly(id);
      throw new CacheError(`its container does not start: ${withPortAdvice(dockerErrorMessage(started.text), serving?.port)}`);
    }
    await this.waitListening(id, serving, since);
  }

  /** A tag of the login that only this run can make (HMAC with a random key); 'none' without one. */
  private loginTag(login: UpstreamLogin | undefined): string {
    return login ? createHmac('sha256', this.loginKey).update(JSON.stringify([login.username, login.password])).digest('base64') : 'none';
  }

  /**
   * Waits until the container serves, proved one of two ways: its identity answers at its port
   * and its debug server answers (`serving`), or its own log since `since` (the end of its last run) says "listening on" while nothing answers at
   * the port from here (an engine whose loopback is not this machine's: Distribution writes that
   * line only once it holds the port). Another server at the port is never taken for it: a
   * container that cannot bind a taken port exits, and its fatal line is the reason; should it
   * listen all the same (its port is not this machine's), the port here is reported as taken.
   */
  private async waitListening(id: string, serving: Serving | undefined, since: string): Promise<void> {
    // A minute: Distribution took over 20 s to listen on a loaded 2-core machine; a container
    // that cannot start exits and is caught at once, so only a silent hang waits this long.
    const deadline = Date.now() + (this.opts.startTimeoutMs ?? 60_000);
    let answeredAt: number | undefined;
    for (;;) {
      const info = await this.inspectId(id);
      const logs = await this.logs(id, since);
      // Asked after the log was read: a "listening on" in it was written before this answer.
      const who = serving ? await whoServes(serving.port, serving.identity, IDENTITY_CHECK_TIMEOUT_MS) : 'no answer';
      if (who === 'this cache') {
        // Its debug server binds in a goroutine of its own, and a bind error there ends the
        // process: the registry's port can answer for a moment before that. So ready once the
        // debug server answers too, or DEBUG_GRACE_MS after the port did (a debug server not
        // reachable from here: hit or miss is then "unknown", the pulls work).
        if (await this.debugAnswers(serving!.debugPort)) return;
        answeredAt ??= Date.now();
        if (Date.now() - answeredAt > DEBUG_GRACE_MS) return;
      }
      if (!info || !info.State.Running || info.State.Restarting) {
        await this.stopQuietly(id);
        // Read again: the fatal line may have been written after the read above.
        const last = await this.logs(id, since).catch(() => logs);
        const exit = `exit code ${info?.State.ExitCode ?? 'unknown'}`;
        const fatal = fatalLine(last);
        if (fatal || who !== 'another server') throw new CacheError(`its container stopped: ${fatal ? withPortAdvice(fatal) : exit}`);
        // Its log said nothing (the engine may miss the last lines of a container that exits at
        // once), but who holds its port is known.
        throw new CacheError(`port ${serving?.port} on 127.0.0.1 is served by something else (its container stopped, ${exit})`);
      }
      if (who !== 'this cache' && /listening on/.test(logs)) {
        if (who === 'no answer') return;
        await this.stopQuietly(id);
        throw new CacheError(`port ${serving?.port} on 127.0.0.1 is served by something else, not by its container`);
      }
      if (Date.now() > deadline) {
        await this.stopQuietly(id);
        const held = who === 'another server' ? `port ${serving?.port} on 127.0.0.1 is served by something else; ` : '';
        throw new CacheError(`its container did not start listening; ${held}last log lines: ${logs.trim().split('\n').slice(-3).join(' | ')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async debugAnswers(debugPort: number): Promise<boolean> {
    return readProxyCounters(debugAddress({ debugPort }), IDENTITY_CHECK_TIMEOUT_MS).then(() => true, () => false);
  }

  private async logs(id: string, since = '0'): Promise<string> {
    const res = await this.opts.engine.request('GET', `/containers/${id}/logs?stdout=1&stderr=1&tail=100&since=${since}`);
    const parts: Buffer[] = [];
    for await (const chunk of res.body) parts.push(chunk as Buffer);
    return demultiplex(Buffer.concat(parts));
  }

  // Stop, not only fail: with restart `unless-stopped`, a container that exits would loop.
  private async stopQuietly(id: string): Promise<void> {
    await this.opts.engine.call('POST', `/containers/${id}/stop?t=1`).catch(() => undefined);
  }

  private async ensureImage(image: string): Promise<void> {
    const { engine } = this.opts;
    const found = await engine.call('GET', `/images/${encodeURIComponent(image)}/json`);
    if (found.status === 200) return;
    // Straight to the engine: the cache's own image never goes through a cache.
    let ref;
    try {
      ref = parseNormalizedNamed(image);
    } catch (err) {
      throw new CacheError(`the cache image ${image} is not a valid image name: ${(err as Error).message}`);
    }
    const query = new URLSearchParams({ fromImage: nameString(ref), tag: ref.digest ?? ref.tag ?? 'latest' });
    const res = await engine.call('POST', `/images/create?${query.toString()}`, { timeoutMs: 5 * 60_000 });
    const failure = res.status !== 200 ? dockerErrorMessage(res.text) : streamError(res.text);
    if (failure !== undefined) throw new CacheError(`the cache image ${image} is not on the engine and cannot be pulled: ${failure}`);
  }

  private async ensureVolume(registry: string): Promise<void> {
    const volume = await this.inspectVolume(registry);
    if (volume && !isOwn(volume.Labels, registry)) {
      throw new CacheError(`a volume named ${volume.Name} exists that docker-caching did not create; it is left alone (rename or remove it)`);
    }
    if (volume) return;
    const res = await this.opts.engine.call('POST', '/volumes/create', jsonBody(volumeSpec(registry)));
    if (res.status !== 201) throw new CacheError(`cannot create its volume: ${dockerErrorMessage(res.text)}`);
    this.sizes.created(registry);
  }

  private async removeContainer(id: string): Promise<void> {
    const res = await this.opts.engine.call('DELETE', `/containers/${id}?force=1`);
    if (res.status !== 204 && res.status !== 404) throw new CacheError(`cannot remove its container: ${dockerErrorMessage(res.text)}`);
  }

  /** Runs a one-off container of ours to the end and removes it; throws with its output if it fails. */
  private async runOnce(spec: Record<string, unknown>): Promise<void> {
    const { engine } = this.opts;
    const created = await engine.call('POST', '/containers/create', jsonBody(spec));
    if (created.status !== 201) throw new CacheError(`cannot create a maintenance container: ${dockerErrorMessage(created.text)}`);
    const { Id: id } = JSON.parse(created.text) as { Id: string };
    try {
      const started = await engine.call('POST', `/containers/${id}/start`);
      if (started.status !== 204) throw new CacheError(`cannot start a maintenance container: ${dockerErrorMessage(started.text)}`);
      // garbage-collect of a big cache prints nothing for minutes: no inactivity limit that short.
      const waited = await engine.call('POST', `/containers/${id}/wait`, { timeoutMs: 60 * 60_000 });
      const { StatusCode } = JSON.parse(waited.text) as { StatusCode: number };
      if (StatusCode !== 0) throw new CacheError(`maintenance failed (exit ${StatusCode}): ${(await this.logs(id)).trim().split('\n').slice(-3).join(' | ')}`);
    } finally {
      await engine.call('DELETE', `/containers/${id}?force=1`).catch(() => undefined);
    }
  }

  private async inspect(registry: string): Promise<ContainerInfo | undefined> {
    return this.inspectId(cacheName(registry));
  }

  private async inspectId(idOrName: string): Promise<ContainerInfo | undefined> {
    const res = await this.opts.engine.call('GET', `/containers/${encodeURIComponent(idOrName)}/json`);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new CacheError(`cannot inspect container ${idOrName}: ${dockerErrorMessage(res.text)}`);
    return JSON.parse(res.text) as ContainerInfo;
  }

  private async inspectVolume(registry: string): Promise<{ Name: string; Labels: Record<string, string> | null } | undefined> {
    const res = await this.opts.engine.call('GET', `/volumes/${encodeURIComponent(cacheName(registry))}`);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new CacheError(`cannot inspect volume ${cacheName(registry)}: ${dockerErrorMessage(res.text)}`);
    return JSON.parse(res.text) as { Name: string; Labels: Record<string, string> | null };
  }

  /** Our cache containers by registry (maintenance containers aside). */
  private async ownContainers(): Promise<Map<string, { State: string }>> {
    const filters = encodeURIComponent(JSON.stringify({ label: [`${OWNER_LABEL}=${OWNER_VALUE}`] }));
    const res = await this.opts.engine.call('GET', `/containers/json?all=1&filters=${filters}`);
    if (res.status !== 200) throw new CacheError(`cannot list containers: ${dockerErrorMessage(res.text)}`);
    const list = JSON.parse(res.text) as { Names: string[]; State: string; Labels: Record<string, string> }[];
    const byRegistry = new Map<string, { State: string }>();
    for (const c of list) {
      const registry = Object.entries(c.Labels).find(([k]) => k === REGISTRY_LABEL)?.[1];
      if (registry && c.Names.includes(`/${cacheName(registry)}`)) byRegistry.set(registry, { State: c.State });
    }
    return byRegistry;
  }

  /**
   * Bytes in each of our volumes, by registry: as held, or measured when `purpose` needs it
   * (`now`: measured whatever is held). Only the cheap list of our volumes when none is due;
   * with no volume of ours there is nothing to measure.
   */
  private async volumeSizes(purpose: SizesPurpose | 'now'): Promise<Map<string, number>> {
    const begun = this.sizes.changeCount();
    const volumes = await this.ownVolumes();
    const due = purpose === 'now' ? volumes.length > 0 : this.sizes.measureReason(volumes, purpose, Date.now(), maxSizeBytes(this.opts.settings())) !== undefined;
    if (volumes.length === 0) this.sizes.noVolumes(Date.now(), begun);
    else if (due) {
      // One measure at a time: a read that wants one while another runs takes that one's answer.
      this.measuringNow ??= this.measureVolumes().finally(() => (this.measuringNow = undefined));
      const measure = await this.measuringNow;
      this.sizes.measured(measure.sizes, Date.now(), measure.begun);
    }
    return this.sizes.sizes(volumes);
  }

  /** The registries that have a volume of ours (a metadata read: no volume is walked). */
  private async ownVolumes(): Promise<string[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: [`${OWNER_LABEL}=${OWNER_VALUE}`] }));
    const res = await this.opts.engine.call('GET', `/volumes?filters=${filters}`);
    if (res.status !== 200) throw new CacheError(`cannot list volumes: ${dockerErrorMessage(res.text)}`);
    const { Volumes } = JSON.parse(res.text) as { Volumes: { Name: string; Labels: Record<string, string> | null }[] | null };
    return (Volumes ?? []).flatMap((v) => {
      const registry = v.Labels?.[REGISTRY_LABEL];
      return registry && isOwn(v.Labels, registry) && v.Name === cacheName(registry) ? [registry] : [];
    });
  }

  /**
   * Bytes in each of our volumes, by registry, as the engine counts them now (it walks every
   * volume on the host), with the count of changes to the sizes when it began.
   */
  private async measureVolumes(): Promise<{ sizes: Map<string, number>; begun: number }> {
    const begun = this.sizes.changeCount();
    const res = await this.opts.engine.call('GET', '/system/df?type=volume', { timeoutMs: 120_000 });
    if (res.status !== 200) throw new CacheError(`cannot read volume sizes: ${dockerErrorMessage(res.text)}`);
    const { Volumes } = JSON.parse(res.text) as { Volumes: { Name: string; Labels: Record<string, string> | null; UsageData: { Size: number } | null }[] | null };
    const sizes = new Map<string, number>();
    for (const volume of Volumes ?? []) {
      const registry = volume.Labels?.[REGISTRY_LABEL];
      if (registry && isOwn(volume.Labels, registry) && volume.Name === cacheName(registry)) sizes.set(registry, Math.max(0, volume.UsageData?.Size ?? 0));
    }
    return { sizes, begun };
  }

  // One operation at a time per registry: two pulls must not both create its container.
  private locked<T>(registry: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(registry) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.locks.set(registry, next);
    return next;
  }
}

/**
 * Why a container of ours no longer fits, or undefined: its settings changed (the label), or
 * the user's docker login is not the one it was given (read back from its environment, so no
 * label or file ever holds the password or anything made from it).
 */
function outdated(container: ContainerInfo, entry: CachedRegistry, print: string, login: UpstreamLogin | undefined): string | undefined {
  if (container.Config.Labels?.[SPEC_LABEL] !== print) return 'its settings changed';
  // Made once more, volume kept, then never again: the identity is no part of the fingerprint.
  if (!identityInEnv(container.Config.Env)) return 'it was made by an earlier docker-caching, without the identity its port is checked by';
  return entry.credentials ? loginChange(loginInEnv(container.Config.Env), login, loginHost(entry)) : undefined;
}

function sum(sizes: ReadonlyMap<string, number>): number {
  return [...sizes.values()].reduce((a, b) => a + b, 0);
}

function jsonBody(value: unknown): { headers: Record<string, string>; body: string } {
  return { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(value) };
}

/** The error a pull's progress stream ended with, if any. */
function streamError(text: string): string | undefined {
  for (const line of text.split('\n')) {
    try {
      const message = JSON.parse(line) as { error?: string };
      if (message.error) return message.error;
    } catch {
      // a partial line
    }
  }
  return undefined;
}

/**
 * The log `since` (`seconds.nanoseconds`) for the lines after `time`, the end of a container's
 * last run, so an earlier run's lines do not count; all of them for one that never ran (Go's
 * zero time, 0001-01-01).
 */
function logsAfter(time: string | undefined): string {
  const m = time ? /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(.*)$/.exec(time) : null;
  if (!m) return '0';
  const seconds = Math.floor(Date.parse(`${m[1]}${m[3]}`) / 1000);
  return Number.isNaN(seconds) || seconds <= 0 ? '0' : `${seconds}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}`;
}

/** The text of a non-TTY container's log stream (8-byte frame headers removed). */
function demultiplex(data: Buffer): string {
  let text = '';
  let offset = 0;
  while (offset + 8 <= data.length) {
    const size = data.readUInt32BE(offset + 4);
    text += data.subarray(offset + 8, offset + 8 + size).toString('utf8');
    offset += 8 + size;
  }
  return text;
}

/**
 * A bind error with the setting to change: Distribution and docker-proxy name the address.
 * Distribution says which of its servers failed; docker-proxy only the port, so a port that
 * is not the registry's own (`port`) is its debug server's.
 */
function withPortAdvice(message: string, port?: number): string {
  if (!/address already in use/.test(message)) return message;
  const debug = /debug interface/.test(message) || (port !== undefined && !message.includes(`:${port}:`));
  return `${message}; choose another ${debug ? 'debugPort' : 'port'} for this registry in the cache settings`;
}

/**
 * Distribution's fatal message (`level=fatal msg="listen tcp …: address already in use"`), or
 * Go's panic line (`panic: Get "http://…/v2/": … connection refused`: its upstream did not
 * answer at start).
 */
function fatalLine(logs: string): string | undefined {
  const panic = /^panic: (.+)$/m.exec(logs)?.[1];
  if (panic) return panic;
  const line = logs.split('\n').reverse().find((l) => /level=(fatal|panic|error)/.test(l));
  if (!line) return undefined;
  return /msg="((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? line;
}
