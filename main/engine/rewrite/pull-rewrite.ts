// The pull rewrite: `POST /images/create?fromImage=…` planned with the user's rules, tried
// candidate by candidate (mirrors, then the original if fallback), streamed to the client as
// one progress stream, then re-tagged under the original name. Credentials for one registry
// never travel to another: the client's X-Registry-Auth goes only to the original registry.
import type { Config } from '#shared/config/schema';
import type { CacheServed, CandidateAttempt, FollowUp, PullStep, RewriteTrace } from '#shared/log';
import { cacheServedText } from '#shared/cache-served';
import { familiarString, isDigest, nameString, parseNormalizedNamed, referenceString, trimNamed, withDigest, withTag, type Reference } from '#shared/reference';
import { planPull, type MirrorPlan, type PlannedCandidate, type PullPlan } from '#shared/rules/plan';
import { ruleLabel } from '#shared/rules/explain';
import { cacheLabel } from '#shared/rules/cache-rules';
import { dockerErrorMessage, type EngineClient } from '../upstream/engine-client';
import { headerValue, type RequestHead } from '../proxy/http-stream';
import type { InterceptContext, InterceptOutcome, Interceptor, InterceptedRequest } from '../proxy/proxy';
import { ProgressReader, type ProgressMessage, type PullFacts } from './pull-progress';
import type { CachePullWatch } from '../cache/pull-watch';
import { SerialByKey } from './serial-by-key';
import { imagePresent } from './engine-images';
import { decodeRegistryAuth, encodeRegistryAuth } from './registry-credentials';
import type { CredentialLookup } from './remembered-credentials';
import { PullSecrets, redactTarget } from '../log/redact';

/** The local caches as the pull rewrite uses them (the engine's CacheManager). */
export interface PullCaches {
  /**
   * Makes the registry's cache ready (lazily created and started), or says why it cannot be
   * used; `release` once the candidate's pull is over (an eviction waits for it). `recreated`:
   * why its container was made again first (its settings or the user's docker login changed);
   * `started`: it was looked at and started if it had to be (what was read from it before may
   * be from before it ran).
   */
  ensure(registry: string): Promise<{ ok: true; recreated?: string; started?: true; release(outcome?: { failed: boolean }): void } | { ok: false; reason: string }>;
  /** Whether the cache's upstream registry answers at all (asked while the cache serves a pull). */
  upstreamReachable(registry: string): Promise<boolean>;
  /**
   * A pull of `repository` went through the registry's cache (for least-recently-pulled
   * eviction), with what the cache's counters told of it: a hit stored nothing new. Settles
   * when that bookkeeping is done; never rejects.
   */
  pulled(registry: string, repository: string, served?: CacheServed): Promise<void>;
  /** Starts telling hit from miss for a pull through the registry's cache (reads its counters first). */
  watchPull(registry: string): Promise<CachePullWatch>;
}

export interface PullRewriteOptions {
  config: () => Config;
  caches?: PullCaches;
  /** The user's credentials per host, for mirrors (rememberedCredentials). */
  credentials: CredentialLookup;
}

/** What a pull asks for, read as the engine reads it (image_routes.go postImagesCreate). */
export interface PullRequest {
  ref: Reference;
  /** No tag and no digest: the client wants every tag. */
  allTags: boolean;
}

export function readPullRequest(query: URLSearchParams): PullRequest | null {
  let fromImage = query.get('fromImage');
  if (!fromImage) return null;
  if (fromImage.endsWith(':')) fromImage = fromImage.slice(0, -1);
  let ref: Reference;
  try {
    ref = parseNormalizedNamed(fromImage);
    const tag = query.get('tag');
    // As the engine does: a digest in `tag` replaces tag and digest; a tag keeps a digest.
    if (tag) ref = isDigest(tag) ? withDigest(trimNamed(ref), tag) : withTag(ref, tag);
  } catch {
    return null;
  }
  return { ref, allTags: !ref.tag && !ref.digest };
}

const PREFIX = 'docker-caching:';
const status = (text: string) => JSON.stringify({ status: `${PREFIX} ${text}` }) + '\r\n';
const errorLine = (message: string) => JSON.stringify({ errorDetail: { message }, error: message }) + '\r\n';

interface Failure {
  ref: string;
  reason: string;
  status?: number;
}

export function createPullRewrite(opts: PullRewriteOptions): Interceptor {
  // Pulls of one repository run one after another: each pull's retag and untag then see
  // the names its own pull left, never a half of another's (20 parallel pulls of one image
  // all succeed, and no mirror-named reference is left behind).
  const oneAtATime = new SerialByKey();
  return {
    wants: (route, head) => route.route === 'pull' && head.method === 'POST' && !!route.query.get('fromImage'),
    async handle(req, ctx): Promise<InterceptOutcome> {
      const pull = readPullRequest(req.route.query);
      // Not a reference the engine could pull either: let the engine answer in its own words.
      if (!pull) return { kind: 'forward', head: req.head };
      const plan = planPull(pull.ref, opts.config());
      if (plan.kind === 'pass') {
        if (plan.match) req.entry.rewrite = newTrace(plan);
        return { kind: 'forward', head: req.head };
      }
      const trace = newTrace(plan);
      req.entry.rewrite = trace;
      if (plan.kind === 'block') {
        req.entry.action = 'blocked';
        const message = `pull of ${familiarString(pull.ref)} blocked by docker-caching: ${ruleLabel(plan.match)}: ${plan.message}`;
        req.entry.error = message;
        await ctx.respond.json(403, { message });
        return { kind: 'responded' };
      }
      await oneAtATime.run(nameString(pull.ref), () => runCandidates(req, ctx, plan, pull, trace, opts));
      return { kind: 'responded' };
    },
  };
}

function newTrace(plan: PullPlan): RewriteTrace {
  return {
    original: referenceString(plan.original),
    rule: plan.match ? { index: plan.match.index, from: plan.match.rule.from, name: plan.match.rule.name, ...(plan.match.cache ? { cache: plan.match.cache } : {}) } : undefined,
    action: plan.kind,
    candidates: [],
    retag: [],
    untag: [],
  };
}

/** One run of a mirror plan: what every step of it needs. */
interface PullRun {
  req: InterceptedRequest;
  ctx: InterceptContext;
  plan: MirrorPlan;
  pull: PullRequest;
  trace: RewriteTrace;
  opts: PullRewriteOptions;
  stream: ClientStream;
  /** Every credential this pull hands the engine; a registry may echo any of them back. */
  secrets: PullSecrets;
  started: number;
  /** `performance.now()` when the pull began, for its steps' times. */
  t0: number;
  /** `performance.now()` when the last step in sequence ended (where the next one began). */
  lastStep: number;
}

const tenths = (ms: number) => Math.round(ms * 10) / 10;

/**
 * Notes on the trace that a step of the pull ended (just now, or at `now`): when, and how long
 * it took itself. A step that ran beside others says when it began; one in sequence began
 * where the last step in sequence ended.
 */
function stepDone(run: PullRun, step: PullStep['step'], began?: number, now = performance.now()): void {
  (run.trace.steps ??= []).push({ step, atMs: tenths(now - run.t0), ms: tenths(now - (began ?? run.lastStep)) });
  if (began === undefined) run.lastStep = now;
}

/** How one candidate went: pulled (with what it fetched), failed, the engine did not answer, or the client left. */
type CandidateResult =
  | { kind: 'pulled'; fetched: Fetched; facts: PullFacts }
  | { kind: 'failed'; failure: Failure }
  | { kind: 'engine silent'; reason: string }
  | { kind: 'abandoned' };

/** Tries the plan's candidates in order until one is pulled; the client sees one progress stream. */
async function runCandidates(
  req: InterceptedRequest, ctx: InterceptContext, plan: MirrorPlan, pull: PullRequest, trace: RewriteTrace, opts: PullRewriteOptions,
): Promise<void> {
  const secrets = new PullSecrets();
  const clientAuth = headerValue(req.head.headers, 'x-registry-auth');
  if (clientAuth) secrets.add(decodeRegistryAuth(clientAuth), clientAuth);
  const t0 = performance.now();
  const run: PullRun = { req, ctx, plan, pull, trace, opts, stream: new ClientStream(ctx.respond), secrets, started: Date.now(), t0, lastStep: t0 };
  await run.stream.send(status(`${ruleLabel(plan.match)} applies to ${trace.original}`));
  const failures: Failure[] = [];
  for (const candidate of plan.candidates) {
    const attempt: CandidateAttempt = { ref: candidate.text, kind: candidate.kind, outcome: 'skipped', startedMs: Date.now() - run.started, durationMs: 0 };
    trace.candidates.push(attempt);
    if (candidate.ref === null) {
      attempt.reason = candidate.skipped;
      await run.stream.send(status(`skipped ${candidate.text}: ${attempt.reason}`));
      ctx.updated();
      continue;
    }
    let upstreamReachable: Promise<boolean> | undefined;
    let release: ((outcome?: { failed: boolean }) => void) | undefined;
    let watching: Promise<CachePullWatch> | undefined;
    let recreated: string | undefined;
    let tagsBefore: Promise<Set<string>> | undefined;
    if (candidate.cache !== undefined && opts.caches) {
      const caches = opts.caches;
      const registry = candidate.cache;
      const began = performance.now();
      // Beside making the cache ready (nearly always: seeing it still answers): the look-up of
      // mirror tags, and the cache's counters as they are before the pull.
      tagsBefore = mirrorTagsBefore(run, candidate, candidate.ref);
      tagsBefore.catch(() => undefined);
      const watchFrom = (from: number) => caches.watchPull(registry).then((watch) => ({ watch, from, read: performance.now() }));
      let early: ReturnType<typeof watchFrom> | undefined = watchFrom(began);
      const ready = await caches.ensure(registry);
      if (!ready.ok || ready.started) {
        // Read from a registry that was not running, or may not have been: not this pull's
        // window, and closed before another opens (open windows count as pulls beside it).
        (await early).watch.cancel();
        early = undefined;
      }
      if (!ready.ok) {
        attempt.reason = ready.reason;
        trace.cache = { registry: candidate.cache, outcome: 'unavailable', reason: ready.reason };
        // Said again in the final error, should every other candidate fail too.
        failures.push({ ref: candidate.text, reason: `not tried: ${ready.reason}` });
        await run.stream.send(status(`skipped ${candidate.text}: ${ready.reason}`));
        ctx.updated();
        continue;
      }
      release = ready.release;
      recreated = ready.recreated;
      if (recreated) await run.stream.send(status(`made the local cache for ${candidate.cache} again: ${recreated}`));
      stepDone(run, 'cache ready');
      watching = (early ?? watchFrom(performance.now())).then(({ watch, from, read }) => {
        stepDone(run, 'cache counters read', from, read);
        return watch;
      });
      const asked = performance.now();
      // Asked while the pull runs: a tag served with its upstream gone came from the cache alone.
      upstreamReachable = caches.upstreamReachable(registry).then((answers) => {
        stepDone(run, 'upstream answered', asked);
        return answers;
      });
    }
    let result: CandidateResult | undefined;
    try {
      result = await tryCandidate(run, candidate, candidate.ref, { before: watching, tagsBefore });
    } finally {
      release?.({ failed: result?.kind !== 'pulled' });
    }
    attempt.durationMs = Date.now() - run.started - attempt.startedMs;
    // Settled by now unless the engine failed first; it never rejects.
    const watch = await watching;
    if (result.kind !== 'pulled') watch?.cancel();
    if (result.kind === 'abandoned') return abandoned(run, attempt);
    if (result.kind === 'engine silent') {
      // Every other candidate would meet the same silent engine: say it once and stop.
      attempt.outcome = 'failed';
      attempt.reason = result.reason;
      trace.engineError = result.reason;
      break;
    }
    if (result.kind === 'failed') {
      attempt.outcome = 'failed';
      attempt.reason = result.failure.reason;
      if (candidate.cache !== undefined) trace.cache = { registry: candidate.cache, outcome: 'failed', reason: result.failure.reason, ...(recreated ? { recreated } : {}) };
      failures.push(result.failure);
      await run.stream.send(status(`${candidate.text} failed: ${result.failure.reason}`));
      ctx.updated();
      continue;
    }
    attempt.outcome = 'ok';
    // Any candidate before this one (failed, skipped or unavailable) makes a pull of the original a fallback.
    return pulled(run, candidate, candidate.ref, result, trace.candidates.length > 1, { upstreamReachable, watch, recreated });
  }
  await nothingPulled(run, failures);
}

/**
 * Pulls one candidate through the engine, relaying its progress (redacted) to the client.
 * `before` is what must be done before the engine is asked (the cache's counters read);
 * `tagsBefore`, the look-up of mirror tags when it was begun already.
 */
async function tryCandidate(
  run: PullRun, candidate: PlannedCandidate, ref: Reference, early: { before?: Promise<unknown>; tagsBefore?: Promise<Set<string>> } = {},
): Promise<CandidateResult> {
  const { req, ctx, secrets, stream } = run;
  const { engine, signal } = ctx;
  const from = candidate.cache !== undefined ? ` from the ${cacheLabel(candidate.cache)}` : candidate.kind === 'mirror' ? ` from mirror ${candidate.mirror ?? ref.domain}` : ' from the original registry';
  await stream.send(status(`pulling ${candidate.text}${from}`));
  const progress = new ProgressReader();
  const failed = (reason: string, httpStatus?: number): CandidateResult => ({ kind: 'failed', failure: { ref: candidate.text, reason: secrets.redact(reason), status: httpStatus } });
  let had: Set<string> | undefined;
  // Set while the engine has not answered the candidate's request: a failure then is the engine's, not the mirror's.
  let awaitingEngine = false;
  try {
    const path = candidatePath(req, ref, run.pull.allTags);
    // The inspector shows the request line as received and as the engine got it last.
    req.entry.forwardedPath = redactTarget(path);
    // What the engine's request needs is read side by side.
    awaitingEngine = true;
    const [tags, headers] = await Promise.all([early.tagsBefore ?? mirrorTagsBefore(run, candidate, ref), candidateHeaders(req.head, candidate, run.opts, secrets), early.before]);
    had = tags;
    stepDone(run, 'engine asked');
    const res = await engine.request('POST', path, { headers, signal });
    awaitingEngine = false;
    stepDone(run, 'engine answered');
    if (res.status !== 200) {
      let text = '';
      for await (const chunk of res.body) text += chunk;
      return failed(dockerErrorMessage(text), res.status);
    }
    await stream.start();
    await relayProgress(run, res.body, progress);
    stepDone(run, 'pulled');
  } catch (err) {
    if (signal.aborted) return { kind: 'abandoned' };
    if (awaitingEngine) return { kind: 'engine silent', reason: secrets.redact((err as Error).message) };
    return failed((err as Error).message);
  } finally {
    req.entry.progress = progress.summary();
  }
  if (progress.error) return failed(progress.error);
  return { kind: 'pulled', fetched: { before: had ?? new Set(), pulled: progress.pulledTags }, facts: progress.facts() };
}

/**
 * The mirror-named tags the user already had, which are theirs: never removed by this pull.
 * One tag is looked up by itself (the engine lists every image for a filtered list); none is
 * looked for when no mirror tag will be removed and no all-tags pull must tell new from old.
 */
async function mirrorTagsBefore(run: PullRun, candidate: PlannedCandidate, ref: Reference): Promise<Set<string>> {
  const { plan, pull, req, ctx: { engine } } = run;
  if (candidate.kind !== 'mirror' || !plan.retag || pull.ref.digest || (plan.keepMirrorTag && !pull.allTags)) return new Set();
  const began = performance.now();
  const prefix = versionPrefix(req);
  const tag = ref.tag ?? 'latest';
  const tags = pull.allTags ? await mirrorTags(engine, prefix, ref) : (await imagePresent(engine, prefix, `${nameString(ref)}:${tag}`)) ? [tag] : [];
  stepDone(run, 'tags listed', began);
  return new Set(tags);
}

/**
 * Copies the engine's progress lines to the client, without its error lines (the next
 * candidate may still work). The lines of one read go out in one write, as they came.
 */
async function relayProgress(run: PullRun, body: NodeJS.ReadableStream, progress: ProgressReader): Promise<void> {
  const { ctx, req, secrets } = run;
  const relay = async (lines: { line: string; message: ProgressMessage | null }[]) => {
    let text = '';
    for (const { line, message } of lines) {
      if (message && (message.error || message.errorDetail)) continue;
      text += secrets.redact(line.endsWith('\r') ? `${line}\n` : `${line}\r\n`);
    }
    if (text) await ctx.respond.write(text);
  };
  let throttle = 0;
  body.setEncoding('utf8');
  for await (const chunk of body as AsyncIterable<string>) {
    await relay(progress.push(chunk));
    if (progress.error) break;
    if (Date.now() - throttle > 250) {
      throttle = Date.now();
      req.entry.progress = progress.summary();
      ctx.updated();
    }
  }
  await relay(progress.flush());
}

/** The client left mid-pull: the pull failed, and the response is still finished so the connection can end. */
async function abandoned(run: PullRun, attempt: CandidateAttempt): Promise<void> {
  const { req, ctx } = run;
  attempt.outcome = 'failed';
  attempt.reason = 'the client went away';
  req.entry.action = 'failed';
  req.entry.error = 'the client closed the connection during the pull';
  if (ctx.respond.started) await ctx.respond.end();
  else await ctx.respond.json(500, { message: req.entry.error });
}

/** A pull through a cache: whether its upstream answers, and its hit-or-miss watch. */
interface CacheWatch {
  upstreamReachable?: Promise<boolean>;
  watch?: CachePullWatch;
  recreated?: string;
}

/** A candidate was pulled: name it as the original (a mirror pull), say where it came from, end the stream. */
async function pulled(
  run: PullRun, candidate: PlannedCandidate, ref: Reference, result: { fetched: Fetched; facts: PullFacts }, afterOthers: boolean, cache: CacheWatch,
): Promise<void> {
  const { req, ctx, trace } = run;
  trace.source = candidate.text;
  if (candidate.kind === 'original' && trace.cache?.outcome === 'failed' && headerValue(req.head.headers, 'x-registry-auth')) {
    // Distribution's proxy answers "manifest unknown" when the upstream refuses it (no token
    // without a login): the client's own login working where the cache's did not says why.
    trace.cache.reason = `${trace.cache.reason ?? 'it failed'}; the original registry then pulled it with the client's own login: a private image? \`credentials: true\` gives the cache your docker login for ${trace.cache.registry}`;
  }
  // Read while the image is re-tagged: telling hit from miss adds no wait of its own.
  const began = performance.now();
  const served = cache.watch?.finish(result.facts).then((told) => {
    stepDone(run, 'hit or miss told', began);
    return told;
  });
  // A mirror location that is the original itself, tried first, is a plain pull, not a fallback.
  req.entry.action = candidate.kind === 'mirror' ? 'redirected' : afterOthers ? 'fell back' : 'passed';
  if (candidate.kind === 'mirror') await retagAfterPull(run, ref, result.fetched);
  let servedNote = '';
  let told: CacheServed | undefined;
  if (candidate.cache !== undefined) {
    // Asked since the pull began; only the last line waits for it.
    const offline = cache.upstreamReachable ? !(await cache.upstreamReachable) : false;
    trace.cache = { registry: candidate.cache, outcome: 'used', ...(offline ? { upstreamUnreachable: true } : {}), ...(cache.recreated ? { recreated: cache.recreated } : {}) };
    told = await tellServed(served, offline);
    if (told) trace.cache.served = told;
    servedNote = told ? `, ${cacheServedText(told, offline)}` : ', through the local cache';
  }
  await run.stream.start();
  await ctx.respond.write(status(`pulled ${trace.original} from ${candidate.text}${servedNote}${describeFollowUps(trace)}`));
  await ctx.respond.end();
  stepDone(run, 'answered');
  // Bookkeeping (the pull's record, eviction) asks the engine for sizes: after the client has its
  // answer. It takes the counters' own word: a hit inferred from an upstream that did not answer
  // the probe (which can time out on a busy machine while the cache reaches it) may have stored
  // something, and a hit is never measured.
  if (candidate.cache !== undefined) void run.opts.caches?.pulled(candidate.cache, ref.path, await served);
  ctx.updated();
}

/**
 * Hit or miss as the cache's counters tell it. A pull that succeeded while the upstream did
 * not answer can only have come from the cache, whatever the counters could say.
 */
async function tellServed(served: Promise<CacheServed> | undefined, offline: boolean): Promise<CacheServed | undefined> {
  const told = await served;
  return offline && (told === undefined || told.kind === 'unknown') ? { kind: 'hit' } : told;
}

/** Every candidate failed: a Docker-style error naming the rule and each failure. */
async function nothingPulled(run: PullRun, failures: Failure[]): Promise<void> {
  const { req, ctx, plan, pull } = run;
  req.entry.action = 'failed';
  const message = run.trace.engineError !== undefined
    ? `the Docker engine did not answer (${run.trace.engineError}), so docker-caching could not pull ${familiarString(pull.ref)}: is Docker running?`
    : `docker-caching could not pull ${familiarString(pull.ref)} (${ruleLabel(plan.match)}): ` +
      (failures.length ? failures.map((f) => `${f.ref}: ${f.reason}`).join('; ') : 'no candidate could be tried') +
      (plan.candidates.some((c) => c.kind === 'original') ? '' : '; fallback to the original registry is off for this rule');
  req.entry.error = message;
  if (!ctx.respond.started) {
    const last = failures[failures.length - 1]?.status;
    await ctx.respond.json(last && last >= 400 ? last : 502, { message });
  } else {
    await ctx.respond.write(errorLine(message));
    await ctx.respond.end();
  }
}

/**
 * The client's one progress stream. Lines wait until a candidate's pull starts streaming,
 * so a pull where nothing streamed can still answer with an HTTP error status.
 */
class ClientStream {
  private readonly queued: string[] = [];

  constructor(private readonly respond: InterceptContext['respond']) {}

  async send(text: string): Promise<void> {
    if (!this.respond.started) {
      this.queued.push(text);
      return;
    }
    await this.respond.write(text);
  }

  async start(): Promise<void> {
    if (this.respond.started) return;
    this.respond.writeHead(200, { 'Content-Type': 'application/json' });
    for (const text of this.queued.splice(0)) await this.respond.write(text);
  }
}

function describeFollowUps(trace: RewriteTrace): string {
  const tagged = trace.retag.filter((t) => t.ok).map((t) => t.ref);
  const failed = [...trace.retag, ...trace.untag].filter((t) => !t.ok);
  return (tagged.length ? `, tagged ${tagged.join(', ')}` : '') + (failed.length ? ` (${failed.map((f) => `${f.ref}: ${f.error}`).join('; ')})` : '');
}

/** The candidate's `images/create` path: same version prefix and parameters, another image. */
function candidatePath(req: InterceptedRequest, ref: Reference, allTags: boolean): string {
  const query = new URLSearchParams(req.route.query);
  query.set('fromImage', nameString(ref));
  if (allTags) query.delete('tag');
  else query.set('tag', ref.digest ?? ref.tag ?? 'latest');
  return `${versionPrefix(req)}/images/create?${query.toString()}`;
}

function versionPrefix(req: InterceptedRequest): string {
  return req.route.apiVersion ? `/v${req.route.apiVersion}` : '';
}

const DROPPED_HEADERS = new Set(['x-registry-auth', 'content-length', 'transfer-encoding', 'connection', 'host', 'upgrade', 'keep-alive']);

async function candidateHeaders(head: RequestHead, candidate: PlannedCandidate, opts: PullRewriteOptions, secrets: PullSecrets): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  for (const [k, v] of head.headers) if (!DROPPED_HEADERS.has(k.toLowerCase())) headers[k] = v;
  if (candidate.kind === 'original') {
    const auth = headerValue(head.headers, 'x-registry-auth');
    if (auth) headers['X-Registry-Auth'] = auth;
  } else if (candidate.ref && candidate.cache === undefined) {
    // A local cache asks for no login (its upstream's is its own): nothing to look up, no credential helper to run.
    const creds = await opts.credentials(candidate.ref.domain);
    if (creds) {
      headers['X-Registry-Auth'] = encodeRegistryAuth(creds);
      secrets.add(creds, headers['X-Registry-Auth']);
    }
  }
  return headers;
}

/** What one mirror pull fetched: the mirror-named tags present before it, and the tags the engine said it pulled. */
interface Fetched {
  before: Set<string>;
  pulled: Set<string>;
}

/**
 * Tags what this pull fetched from the mirror with the original name and, unless kept,
 * drops the mirror tag. A mirror-named tag the user had before the pull is neither retagged
 * (unless this pull fetched it) nor removed; one this pull did not fetch is never touched.
 */
async function retagAfterPull(run: PullRun, mirror: Reference, fetched: Fetched): Promise<void> {
  const { req, ctx: { engine }, plan, pull, trace, secrets } = run;
  if (!plan.retag || pull.ref.digest) return; // a digest cannot be tagged; see digest-lookup.ts
  const prefix = versionPrefix(req);
  const tags = pull.allTags ? await fetchedTags(engine, prefix, mirror, fetched) : [mirror.tag ?? 'latest'];
  const originalName = nameString(pull.ref);
  for (const tag of tags) {
    const mirrorRef = `${nameString(mirror)}:${tag}`;
    const retag: FollowUp = { ref: `${originalName}:${tag}`, ok: false };
    trace.retag.push(retag);
    try {
      const res = await engine.call('POST', `${prefix}/images/${mirrorRef}/tag?repo=${encodeURIComponent(originalName)}&tag=${encodeURIComponent(tag)}`);
      retag.ok = res.status === 201 || res.status === 200;
      if (!retag.ok) retag.error = secrets.redact(dockerErrorMessage(res.text));
      stepDone(run, 'tagged');
    } catch (err) {
      retag.error = secrets.redact((err as Error).message);
    }
    // Only untag once the image has its original name: it must never be left nameless.
    if (!retag.ok || plan.keepMirrorTag || fetched.before.has(tag)) continue;
    const untag: FollowUp = { ref: mirrorRef, ok: false };
    trace.untag.push(untag);
    try {
      const res = await engine.call('DELETE', `${prefix}/images/${mirrorRef}?noprune=1`);
      untag.ok = res.status === 200;
      if (!untag.ok) untag.error = secrets.redact(dockerErrorMessage(res.text));
      stepDone(run, 'untagged');
    } catch (err) {
      untag.error = secrets.redact((err as Error).message);
    }
  }
}

/** The tags an all-tags pull fetched: those the engine named, or (an engine that names none) the tags that are new. */
async function fetchedTags(engine: EngineClient, prefix: string, mirror: Reference, fetched: Fetched): Promise<string[]> {
  const present = await mirrorTags(engine, prefix, mirror);
  if (fetched.pulled.size > 0) return present.filter((tag) => fetched.pulled.has(tag));
  return present.filter((tag) => !fetched.before.has(tag));
}

/** Every tag of the mirror repository now present locally (after an all-tags pull). */
async function mirrorTags(engine: EngineClient, prefix: string, mirror: Reference): Promise<string[]> {
  const name = nameString(mirror);
  const filters = encodeURIComponent(JSON.stringify({ reference: [name] }));
  const res = await engine.call('GET', `${prefix}/images/json?filters=${filters}`);
  if (res.status !== 200) return [];
  const images = JSON.parse(res.text) as { RepoTags?: string[] | null }[];
  const tags = new Set<string>();
  for (const image of images) {
    for (const repoTag of image.RepoTags ?? []) {
      const colon = repoTag.lastIndexOf(':');
      if (colon > 0 && normalizedName(repoTag.slice(0, colon)) === name) tags.add(repoTag.slice(colon + 1));
    }
  }
  return [...tags];
}

function normalizedName(s: string): string {
  try {
    return nameString(parseNormalizedNamed(s));
  } catch {
    return s;
  }
}
