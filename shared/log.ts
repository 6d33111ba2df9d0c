// What the request log holds: the summaries the proxy emits for every request and the
// details fetched on demand. Produced in main (already redacted), shown by the CLI printer
// and the inspector. Pure types: no Node, no DOM.

/** The route a request was classified as, named for what the user did. */
export type RouteName =
  | 'ping' | 'version' | 'info' | 'events' | 'auth' | 'system df'
  | 'pull' | 'import' | 'push' | 'tag' | 'list images' | 'inspect image' | 'image history'
  | 'remove image' | 'save images' | 'load images' | 'search images' | 'prune images'
  | 'build' | 'build session' | 'grpc' | 'commit'
  | 'create container' | 'list containers' | 'inspect container' | 'start' | 'stop' | 'restart'
  | 'kill' | 'wait' | 'remove container' | 'logs' | 'stats' | 'attach' | 'resize' | 'top'
  | 'exec create' | 'exec' | 'exec inspect' | 'container other'
  | 'network' | 'volume' | 'swarm' | 'service' | 'plugin' | 'distribution' | 'other';

/** What docker-caching did with a request. */
export type LogAction = 'passed' | 'redirected' | 'fell back' | 'blocked' | 'failed';

/** One candidate a pull tried, in order. */
export interface CandidateAttempt {
  /** The reference pulled, e.g. `localhost:5000/library/ubuntu:18.04`. */
  ref: string;
  kind: 'mirror' | 'original';
  outcome: 'ok' | 'failed' | 'skipped';
  /** Why it failed or was skipped, in plain words. */
  reason?: string;
  /** Milliseconds since the request started. */
  startedMs: number;
  durationMs: number;
}

/** The result of one follow-up engine call (tag or untag) after a redirected pull. */
export interface FollowUp {
  ref: string;
  ok: boolean;
  error?: string;
}

/** What the pull rewrite did, recorded on the request's log entry. */
export interface RewriteTrace {
  /** The reference as the client asked for it, normalised (`docker.io/library/ubuntu:18.04`). */
  original: string;
  /** The matched rule: its index in the config, its `from` and optional name. */
  rule?: { index: number; from: string; name?: string; cache?: string };
  action: 'mirror' | 'block' | 'pass';
  /** When the pull was planned through the local cache: whether it was used, and if not why. */
  cache?: CacheTrace;
  candidates: CandidateAttempt[];
  /** The reference the image finally came from, when one succeeded. */
  source?: string;
  retag: FollowUp[];
  untag: FollowUp[];
  /** Request rewritten for a digest look-up (`ubuntu@sha256:…` mapped to the mirror's). */
  mappedTo?: string;
  /** The engine itself did not answer, so no candidate could be tried: the one reason, said once. */
  engineError?: string;
  /** When each step of a redirected pull ended, in order (where its time went). */
  steps?: PullStep[];
}

/**
 * One step of a redirected pull: when it ended, in milliseconds since the pull began, and how
 * long it took itself (steps that run beside others overlap). In order of a pull through a
 * cache: `cache ready`; beside each other `cache counters read`, `tags listed` (the mirror
 * tags the user had) and `upstream answered` (until the answer at most); `engine asked` (ended
 * when the request went to the engine), `engine answered`, `pulled`; beside the retag
 * `hit or miss told`; `tagged`, `untagged`, `answered` (the client has the last line).
 */
export interface PullStep {
  step:
    | 'cache ready' | 'cache counters read' | 'tags listed' | 'upstream answered' | 'engine asked' | 'engine answered'
    | 'pulled' | 'hit or miss told' | 'tagged' | 'untagged' | 'answered';
  atMs: number;
  ms: number;
}

/** The local cache's part in one pull. */
export interface CacheTrace {
  registry: string;
  /** `used`: the image came from the cache; `unavailable`: the cache could not be used (see `reason`); `failed`: the cache answered with an error. */
  outcome: 'used' | 'unavailable' | 'failed';
  reason?: string;
  /** Set after a pull served by the cache while its upstream registry did not answer. */
  upstreamUnreachable?: boolean;
  /** For a pull the cache served (`used`): from the cache alone, partly from upstream, or cannot be told. */
  served?: CacheServed;
  /** Why the cache's container was made again for this pull (its settings or the user's docker login changed). */
  recreated?: string;
}

/**
 * Where a pull through the cache got its data, read from Distribution's proxy counters
 * before and after the pull: `hit` all from the cache; `miss` something fetched from the
 * upstream registry (layers: the image's layers the engine downloaded that the cache did not
 * have; bytes: upstream bytes when Distribution says them); `unknown` with the reason.
 */
export type CacheServed =
  | { kind: 'hit' }
  | { kind: 'miss'; layersFetched: number; layers: number; bytes?: number }
  | { kind: 'unknown'; reason: string };

/** Layer progress of a pull, summarised from the engine's progress stream. */
export interface PullProgress {
  layers: number;
  layersDone: number;
  bytesTotal: number;
  bytesDone: number;
}

/** The summary of one request: what the CLI prints and the inspector lists. Secrets are never in it. */
export interface LogEntry {
  /** Sequence number, strictly increasing per engine run. */
  seq: number;
  /** Epoch milliseconds when the request head arrived. */
  time: number;
  method: string;
  /** Path and query as received (redacted: sensitive query values replaced). */
  path: string;
  /** The API version prefix, e.g. `1.41`, when the client sent one. */
  apiVersion?: string;
  route: RouteName;
  /** The image reference the request is about, when it names one (as the client wrote it). */
  image?: string;
  /** HTTP status, null while the response head has not arrived (or never did). */
  status: number | null;
  /** True while the request or its response stream is still open. */
  pending: boolean;
  durationMs: number;
  /** Request body bytes received from the client. */
  bytesIn: number;
  /** Response bytes (head and body) sent to the client: for a pull, the size of its progress stream. */
  bytesOut: number;
  /** For a pull: the image's layer bytes the engine downloaded so far (from its progress), when known. */
  imageBytes?: number;
  action: LogAction;
  /** The connection was upgraded or hijacked (attach, exec, BuildKit). */
  upgraded: boolean;
  /** What went wrong, in plain words, when the request failed in the proxy or upstream. */
  error?: string;
  rewrite?: RewriteTrace;
}

/** Everything known about one request, fetched on demand by seq. */
export interface LogDetail extends LogEntry {
  /** Request headers, sensitive values replaced by `<redacted>`. */
  requestHeaders: [string, string][];
  responseHeaders: [string, string][];
  /** For rewritten requests: the request line the engine received instead. */
  forwardedPath?: string;
  progress?: PullProgress;
}

/** Placeholder put where a secret was. */
export const REDACTED = '<redacted>';
