// Starts the engine both faces share, job by job in the order they depend on each other:
// config, upstream discovery, the local caches, the proxy and its socket (listen), engine
// health, config reload, status, and shutdown in reverse. Each job is one function here.
// Never imports electron.
import { homedir } from 'node:os';
import type { MirrorCheck, Status } from '#shared/ipc';
import type { Engine, EngineOptions } from './engine';
import { LogStore } from './log/log-store';
import { createProxyServer, type Interceptor } from './proxy/proxy';
import { EngineClient, dockerErrorMessage } from './upstream/engine-client';
import { defaultListenPath, listenPrivately, removeOwnSocket, type BoundSocket } from './proxy/listen-socket';
import { formatUpstream, type DiscoveredUpstream } from './upstream/upstream';
import { findEngine } from './upstream/find-engine';
import { createEngineCaches } from './cache/engine-caches';
import { proxyContextActive } from './upstream/docker-context';
import { ConfigStore } from './config/config-store';
import { defaultConfigPath } from './config/config-paths';
import { checkMirror } from './rewrite/mirror-check';
import { createPullRewrite } from './rewrite/pull-rewrite';
import { rememberedCredentials, type CredentialLookup } from './rewrite/remembered-credentials';
import { createDigestLookup } from './rewrite/digest-lookup';
import { Counters } from './log/counters';
import { Listeners } from './listeners';

type ProxyServer = ReturnType<typeof createProxyServer>;

export interface StartOptions extends EngineOptions {
  /** Group allowed to use the socket (mode 0660); default: owner only (0600). */
  group?: string;
  /** Ring buffer capacity of the request log. */
  logCapacity?: number;
  /**
   * Keep running through an invalid config file (defaults, error reported) or a socket that
   * cannot be opened (retried): the desktop app shows these in its tray; `serve` refuses them.
   */
  keepRunningOnErrors?: boolean;
}

export interface RunningEngine extends Engine {
  readonly listenPath: string;
  readonly upstream: DiscoveredUpstream;
}

const HEALTH_INTERVAL_MS = 15_000;
const LISTEN_RETRY_MS = 5_000;

interface Where {
  env: NodeJS.ProcessEnv;
  home: string;
  configPath: string;
  /** The user's registry credentials from that env and home, kept between pulls. */
  credentials: CredentialLookup;
}

/** What shutdown undoes, in reverse order of starting. */
type Stop = () => void | Promise<void>;

export async function startEngine(options: StartOptions = {}): Promise<RunningEngine> {
  const env = options.env ?? process.env;
  const home = options.home ?? homedir();
  const where: Where = {
    env, home, configPath: options.configPath ?? defaultConfigPath({ env, home, platform: process.platform }), credentials: rememberedCredentials({ env, home }),
  };
  const stops: Stop[] = [];
  const shutdown = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  try {
    const config = await openConfig(where, options, stops);
    const listenPath = options.listen ?? config.get().config.listen ?? defaultListenPath(env, home);
    const upstream = discoverUpstreamJob(where, options, config, listenPath);
    const statusEvents = new Listeners<[Status]>('status');
    const emitStatus = () => statusEvents.emit(status());
    const logs = new LogStore(options.logCapacity);
    const counters = new Counters(logs);
    const engineClient = new EngineClient(() => upstream.current().address);
    stops.push(() => engineClient.close());
    const caches = cacheJob(where, config, engineClient, emitStatus);
    const health = healthTracker(engineClient, upstream, emitStatus);
    const server = createProxy(where, config, logs, engineClient, upstream, caches, health.set);
    const socket = await listenJob(server, listenPath, options, config, emitStatus, stops);
    await healthJob(health, caches, stops);
    reloadJob(config, upstream, engineClient, health, caches, emitStatus, stops);
    counters.onChange(emitStatus);

    function status(): Status {
      const state = config.get();
      return {
        listening: socket.listening() ? listenPath : null,
        ...(socket.error() ? { listenError: socket.error() } : {}),
        upstream: health.current(),
        enabled: state.config.enabled,
        configPath: state.path,
        configError: state.error,
        counters: counters.snapshot(),
        dockerContextActive: proxyContextActive({ env, home }),
        ...(caches.snapshot() ? { cache: caches.snapshot() } : {}),
      };
    }

    let stopped: Promise<void> | null = null;
    return {
      logs,
      config,
      listenPath,
      get upstream() {
        return upstream.current();
      },
      status,
      onStatus: (listener) => statusEvents.add(listener),
      checkMirror: (location: string): Promise<MirrorCheck> => checkMirror(location, { env, home }),
      async clearCache() {
        await caches.manager.clear();
      },
      recheckUpstream: async () => {
        await health.check();
        return status();
      },
      stop: () => (stopped ??= shutdown()),
    };
  } catch (err) {
    await shutdown();
    throw err;
  }
}

/** Job 1, config: the file loaded and watched; closed at shutdown. */
async function openConfig(where: Where, options: StartOptions, stops: Stop[]): Promise<ConfigStore> {
  const config = await ConfigStore.open(where.configPath, { allowInvalid: options.keepRunningOnErrors });
  stops.push(() => config.close());
  return config;
}

interface UpstreamJob {
  current(): DiscoveredUpstream;
  /** Discovers again (after a config change); true when the address changed. */
  rediscover(): boolean;
}

/** Job 2, discovery: which engine we front, from the flag, the config, the environment and the platform. */
function discoverUpstreamJob(where: Where, options: StartOptions, config: ConfigStore, listenPath: string): UpstreamJob {
  const { env, home, configPath } = where;
  const discover = (): DiscoveredUpstream =>
    findEngine({ flag: options.upstream, configured: config.get().config.upstream, configPath, ownSocket: listenPath, env, home });
  let upstream = discover();
  return {
    current: () => upstream,
    rediscover() {
      const next = discover();
      if (formatUpstream(next.address) === formatUpstream(upstream.address)) return false;
      upstream = next;
      return true;
    },
  };
}

type EngineCaches = ReturnType<typeof createEngineCaches>;

/** Job 3, the local caches: started lazily by the first pull that needs one; their state is part of the status. */
function cacheJob(where: Where, config: ConfigStore, engine: EngineClient, emitStatus: () => void): EngineCaches {
  const caches = createEngineCaches({ engine, config: () => config.get().config, configPath: where.configPath, credentials: where.credentials });
  caches.onChange(emitStatus);
  return caches;
}

/** The proxy server with its interceptors (pull rewrite, digest lookup), not yet listening. */
function createProxy(
  where: Where, config: ConfigStore, logs: LogStore, engine: EngineClient, upstream: UpstreamJob, caches: EngineCaches,
  onUpstreamHealth: (healthy: boolean, error?: string) => void,
): ProxyServer {
  const currentConfig = () => config.get().config;
  const interceptors: readonly Interceptor[] = [
    createPullRewrite({ config: currentConfig, caches, credentials: where.credentials }),
    createDigestLookup({ config: currentConfig }),
  ];
  return createProxyServer({
    upstream: () => upstream.current().address,
    logs,
    engine,
    interceptors: () => interceptors,
    onUpstreamHealth,
  });
}

interface ListenJob {
  listening(): boolean;
  error(): string | undefined;
}

/**
 * Job 4, listen: the socket bound privately. With keepRunningOnErrors a socket somebody
 * holds is reported and retried; otherwise it is an error. Shutdown closes the server and
 * removes our own socket only.
 */
async function listenJob(server: ProxyServer, listenPath: string, options: StartOptions, config: ConfigStore, emitStatus: () => void, stops: Stop[]): Promise<ListenJob> {
  let bound: BoundSocket | undefined;
  let listenError: string | undefined;
  let retry: NodeJS.Timeout | undefined;
  const listen = async () => {
    bound = await listenPrivately(server, listenPath, options.group ?? config.get().config.group);
    listenError = undefined;
  };
  stops.push(async () => {
    clearInterval(retry);
    const closed = new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
    server.closeAllConnections();
    await closed;
    if (bound) await removeOwnSocket(bound);
  });
  try {
    await listen();
  } catch (err) {
    if (!options.keepRunningOnErrors) throw err;
    listenError = (err as Error).message;
    // Whoever holds the socket may go away (a `serve` stopped): try again now and then.
    retry = setInterval(() => {
      listen().then(() => {
        clearInterval(retry);
        emitStatus();
      }, (retryErr: Error) => {
        listenError = retryErr.message;
      });
    }, LISTEN_RETRY_MS);
    retry.unref();
  }
  return { listening: () => bound !== undefined, error: () => listenError };
}

interface HealthJob {
  current(): Status['upstream'];
  set(healthy: boolean, error?: string, version?: string): void;
  check(): Promise<void>;
}

/** Whether the engine answers `/version`; a change is emitted as a status change. The proxy reports failures it sees too. */
function healthTracker(engine: EngineClient, upstream: UpstreamJob, emitStatus: () => void): HealthJob {
  const address = () => formatUpstream(upstream.current().address);
  let health: Status['upstream'] = { address: address(), healthy: false };
  const set = (healthy: boolean, error?: string, version?: string) => {
    const next = { address: address(), healthy, error: healthy ? undefined : error, version: healthy ? version ?? health.version : undefined };
    if (next.healthy === health.healthy && next.error === health.error && next.address === health.address && next.version === health.version) return;
    health = next;
    emitStatus();
  };
  const check = async () => {
    try {
      const res = await engine.call('GET', '/version');
      if (res.status !== 200) return set(false, dockerErrorMessage(res.text));
      set(true, undefined, (JSON.parse(res.text) as { Version?: string }).Version);
    } catch (err) {
      set(false, (err as Error).message);
    }
  };
  return { current: () => health, set, check };
}

/** Job 5, health: the engine and the caches checked now and every 15 s. */
async function healthJob(health: HealthJob, caches: EngineCaches, stops: Stop[]): Promise<void> {
  await health.check();
  void caches.refresh();
  const timer = setInterval(() => {
    void health.check();
    void caches.refresh();
  }, HEALTH_INTERVAL_MS);
  timer.unref();
  stops.push(() => clearInterval(timer));
}

/** Job 6, reload: a config change re-discovers the engine (a changed `upstream` applies to new connections), refreshes the caches and updates the status. */
function reloadJob(config: ConfigStore, upstream: UpstreamJob, engine: EngineClient, health: HealthJob, caches: EngineCaches, emitStatus: () => void, stops: Stop[]): void {
  const unsubscribe = config.onChange(() => {
    try {
      if (upstream.rediscover()) {
        engine.reset();
        void health.check();
      }
    } catch {
      // an invalid upstream keeps the last good one; the config error is reported by the store
    }
    void caches.settingsChanged();
    void caches.refresh();
    emitStatus();
  });
  stops.push(unsubscribe);
}
