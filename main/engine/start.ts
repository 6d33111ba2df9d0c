// Starts the engine both faces share: config, upstream discovery, the request log, the
// socket proxy with its interceptors, and health status. Never imports electron.
import { homedir } from 'node:os';
import { unlink } from 'node:fs/promises';
import type { MirrorCheck, Status } from '../../shared/ipc';
import type { Engine, EngineOptions } from './engine';
import { LogStore } from './log/log-store';
import { createProxyServer, type Interceptor } from './proxy/proxy';
import { EngineClient, dockerErrorMessage } from './upstream/engine-client';
import { defaultListenPath, listenPrivately, prepareSocketPath } from './proxy/listen-socket';
import { formatUpstream, type DiscoveredUpstream } from './upstream/upstream';
import { findEngine } from './upstream/find-engine';
import { createEngineCaches } from './cache/engine-caches';
import { proxyContextActive } from './upstream/docker-context';
import { ConfigStore } from './config/config-store';
import { defaultConfigPath } from './config/config-paths';
import { checkMirror } from './rewrite/mirror-check';
import { createPullRewrite } from './rewrite/pull-rewrite';
import { createDigestLookup } from './rewrite/digest-lookup';
import { Counters } from './log/counters';

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

export async function startEngine(options: StartOptions = {}): Promise<RunningEngine> {
  const env = options.env ?? process.env;
  const home = options.home ?? homedir();
  const configPath = options.configPath ?? defaultConfigPath({ env, home, platform: process.platform });
  const config = await ConfigStore.open(configPath, { allowInvalid: options.keepRunningOnErrors });
  const listenPath = options.listen ?? config.get().config.listen ?? defaultListenPath(env, home);

  const discover = (): DiscoveredUpstream =>
    findEngine({ flag: options.upstream, configured: config.get().config.upstream, configPath, ownSocket: listenPath, env, home });
  let upstream: DiscoveredUpstream;
  try {
    upstream = discover();
  } catch (err) {
    config.close();
    throw err;
  }
  const logs = new LogStore(options.logCapacity);
  const engineClient = new EngineClient(() => upstream.address);
  const counters = new Counters(logs);
  const statusListeners = new Set<(s: Status) => void>();
  let health: Status['upstream'] = { address: formatUpstream(upstream.address), healthy: false };

  const emitStatus = () => {
    const s = status();
    for (const l of statusListeners) l(s);
  };
  const setHealth = (healthy: boolean, error?: string, version?: string) => {
    const next = { address: formatUpstream(upstream.address), healthy, error: healthy ? undefined : error, version: healthy ? version ?? health.version : undefined };
    if (next.healthy === health.healthy && next.error === health.error && next.address === health.address && next.version === health.version) return;
    health = next;
    emitStatus();
  };

  const currentConfig = () => config.get().config;
  // The local caches: started lazily by the first pull that needs one.
  const caches = createEngineCaches({ engine: engineClient, config: currentConfig, configPath, env, home });
  const interceptors: readonly Interceptor[] = [
    createPullRewrite({ config: currentConfig, env, home, caches }),
    createDigestLookup({ config: currentConfig }),
  ];
  const server = createProxyServer({
    upstream: () => upstream.address,
    logs,
    engine: engineClient,
    interceptors: () => interceptors,
    onUpstreamHealth: (healthy, error) => setHealth(healthy, error),
  });

  let listening = false;
  let listenError: string | undefined;
  const listen = async () => {
    await prepareSocketPath(listenPath);
    await listenPrivately(server, listenPath, options.group ?? config.get().config.group);
    listening = true;
    listenError = undefined;
  };
  let listenRetry: NodeJS.Timeout | undefined;
  try {
    await listen();
  } catch (err) {
    if (!options.keepRunningOnErrors) {
      config.close();
      engineClient.close();
      throw err;
    }
    listenError = (err as Error).message;
    // Whoever holds the socket may go away (a `serve` stopped): try again now and then.
    listenRetry = setInterval(() => {
      listen().then(() => {
        clearInterval(listenRetry);
        emitStatus();
      }, (retryErr: Error) => {
        listenError = retryErr.message;
      });
    }, LISTEN_RETRY_MS);
    listenRetry.unref();
  }

  const checkHealth = async () => {
    try {
      const res = await engineClient.call('GET', '/version');
      if (res.status !== 200) return setHealth(false, dockerErrorMessage(res.text));
      setHealth(true, undefined, (JSON.parse(res.text) as { Version?: string }).Version);
    } catch (err) {
      setHealth(false, (err as Error).message);
    }
  };
  await checkHealth();
  void caches.refresh();
  const healthTimer = setInterval(() => {
    void checkHealth();
    void caches.refresh();
  }, HEALTH_INTERVAL_MS);
  healthTimer.unref();

  const unsubscribeConfig = config.onChange(() => {
    // A changed `upstream` setting takes effect for new connections.
    try {
      const next = discover();
      if (formatUpstream(next.address) !== formatUpstream(upstream.address)) {
        upstream = next;
        engineClient.reset();
        void checkHealth();
      }
    } catch {
      // an invalid upstream keeps the last good one; the config error is reported by the store
    }
    void caches.refresh();
    emitStatus();
  });
  counters.onChange(emitStatus);
  caches.onChange(emitStatus);

  function status(): Status {
    const state = config.get();
    return {
      listening: listening ? listenPath : null,
      ...(listenError ? { listenError } : {}),
      upstream: health,
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
      return upstream;
    },
    status,
    onStatus(listener) {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
    checkMirror: (location: string): Promise<MirrorCheck> => checkMirror(location, { env, home }),
    async clearCache() {
      await caches.manager.clear();
    },
    recheckUpstream: async () => {
      await checkHealth();
      return status();
    },
    stop() {
      stopped ??= (async () => {
        clearInterval(healthTimer);
        clearInterval(listenRetry);
        unsubscribeConfig();
        config.close();
        const closed = new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
        server.closeAllConnections();
        await closed;
        engineClient.close();
        // Only our own socket is removed, never one somebody else is listening on.
        if (listening) await unlink(listenPath).catch(() => undefined);
      })();
      return stopped;
    },
  };
}
