// A small in-memory Engine for shell and bridge tests: the real LogStore, a config handle
// that validates with the shared schema but keeps everything in memory, a settable status.
// Never touches a socket or a file.
import type { ConfigProblem, ConfigState, MirrorCheck, Status } from '#shared/ipc';
import { configSchema, defaultConfig, type Config, type Rule } from '#shared/config/schema';
import type { LogDetail } from '#shared/log';
import type { ConfigHandle, Engine } from '../../main/engine/engine';
import { LogStore } from '../../main/engine/log/log-store';

export class FakeConfig implements ConfigHandle {
  private state: ConfigState;
  private readonly listeners = new Set<(state: ConfigState) => void>();

  constructor(config: Config = defaultConfig, path = '/home/user/.config/docker-caching/config.yaml') {
    this.state = { config, revision: 1, path };
  }

  get(): ConfigState {
    return this.state;
  }

  async save(config: Config, baseRevision: number): Promise<ConfigState> {
    if (baseRevision !== this.state.revision) {
      throw new Error(`the config changed since you loaded it (revision ${this.state.revision}, yours ${baseRevision}): reload it, then save again`);
    }
    return this.replace(configSchema.parse(config));
  }

  async replaceInvalidFile(rules: Rule[]): Promise<ConfigState> {
    if (!this.state.error) throw new Error('the config file is valid now, so it was not replaced: save your rules instead');
    const { error: _fixed, ...rest } = this.state;
    this.state = rest;
    return this.replace({ ...this.state.config, rules });
  }

  /** The file "on disk" turned invalid (the running config stays). */
  breakFile(error: ConfigProblem): ConfigState {
    this.state = { ...this.state, error, revision: this.state.revision + 1 };
    for (const listener of this.listeners) listener(this.state);
    return this.state;
  }

  async setEnabled(enabled: boolean): Promise<ConfigState> {
    return this.replace({ ...this.state.config, enabled });
  }

  async setRuleEnabled(index: number, enabled: boolean): Promise<ConfigState> {
    const rules = this.state.config.rules.map((rule, i) => (i === index ? { ...rule, enabled } : rule));
    if (index >= rules.length) throw new Error(`there is no rule number ${index + 1}: the config has ${rules.length}`);
    return this.replace({ ...this.state.config, rules });
  }

  onChange(listener: (state: ConfigState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** An edit made "on disk". */
  replace(config: Config): ConfigState {
    this.state = { ...this.state, config, revision: this.state.revision + 1 };
    for (const listener of this.listeners) listener(this.state);
    return this.state;
  }
}

export function fakeStatus(overrides: Partial<Status> = {}): Status {
  return {
    listening: '/run/user/1000/docker-caching/docker.sock',
    upstream: { address: 'unix:///var/run/docker.sock', healthy: true, version: '20.10.24' },
    enabled: true,
    configPath: '/home/user/.config/docker-caching/config.yaml',
    counters: { redirected: 0, fellBack: 0, blocked: 0, failed: 0, bytesFromMirrors: 0, fromCache: 0 },
    dockerContextActive: false,
    ...overrides,
  };
}

export class FakeEngine implements Engine {
  readonly logs: LogStore;
  readonly config: FakeConfig;
  readonly mirrorChecks: string[] = [];
  /** Times the window asked for the engine again (Retry). */
  upstreamRechecks = 0;
  stopped = false;
  private current: Status;
  private readonly statusListeners = new Set<(status: Status) => void>();

  constructor(opts: { config?: Config; status?: Partial<Status>; capacity?: number } = {}) {
    this.logs = new LogStore(opts.capacity ?? 10_000);
    this.config = new FakeConfig(opts.config);
    this.current = fakeStatus(opts.status);
  }

  status(): Status {
    return this.current;
  }

  setStatus(overrides: Partial<Status>): void {
    this.current = { ...this.current, ...overrides };
    for (const listener of this.statusListeners) listener(this.current);
  }

  onStatus(listener: (status: Status) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  async checkMirror(location: string): Promise<MirrorCheck> {
    this.mirrorChecks.push(location);
    return { location, state: 'reachable', reason: `HTTP 200 from http://${location}/v2/`, status: 200 };
  }

  /** How often the shell asked to clear the local cache. */
  cacheClears = 0;

  async clearCache(): Promise<void> {
    this.cacheClears++;
  }

  async recheckUpstream(): Promise<Status> {
    this.upstreamRechecks++;
    return this.current;
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }
}

/** A finished request as the proxy would log it; override what the test is about. */
export function logDetail(overrides: Partial<Omit<LogDetail, 'seq'>> = {}): Omit<LogDetail, 'seq'> {
  return {
    time: Date.UTC(2026, 10, 28, 12, 0, 0),
    method: 'GET',
    path: '/v1.41/_ping',
    apiVersion: '1.41',
    route: 'ping',
    status: 200,
    pending: false,
    durationMs: 2,
    bytesIn: 0,
    bytesOut: 120,
    action: 'passed',
    upgraded: false,
    requestHeaders: [['user-agent', 'Docker-Client/28.0.0']],
    responseHeaders: [['content-type', 'text/plain']],
    ...overrides,
  };
}

/** A pull as the proxy would log it, redirected to `mirror` unless overridden. */
export function pullDetail(image: string, overrides: Partial<Omit<LogDetail, 'seq'>> = {}): Omit<LogDetail, 'seq'> {
  return logDetail({
    method: 'POST',
    path: `/v1.41/images/create?fromImage=${encodeURIComponent(image)}`,
    route: 'pull',
    image,
    action: 'redirected',
    durationMs: 840,
    bytesOut: 2048,
    ...overrides,
  });
}
