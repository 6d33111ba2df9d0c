// The pull plan: what a pull of one reference does under the config (mirror, block or pass),
// with its candidates in the order they are tried. The proxy, `resolve` and the rule
// editor's preview all call planPull, so they cannot disagree. Never performs a pull.
import { type Config, type MirrorRule, isBlockRule } from '../config/schema';
import { type Reference, referenceString } from '../reference';
import { explainBlock, explainDigestOnly, explainMirror, explainPass } from './explain';
import { type RuleMatch, matchRule } from './match';
import { cacheOfMirror, matchCacheRule } from './cache-rules';
import { rewriteCandidate } from './rewrite';

/** One reference a pull would try. A mirror that gives no valid name stays in the plan as `skipped`. */
export interface PlannedCandidate {
  ref: Reference | null;
  /** The fully-qualified reference pulled (or, when skipped, the name that was invalid). */
  text: string;
  kind: 'mirror' | 'original';
  /** The rule's `to` location this candidate came from. */
  mirror?: string;
  /** The cached registry, when the candidate is the local cache. */
  cache?: string;
  /** Why this candidate is not tried, as a sentence. */
  skipped?: string;
}

export interface PullPlan {
  action: 'mirror' | 'block' | 'pass';
  original: Reference;
  /** The rule that decided (also set when a digestOnly rule passes a tag pull, and for block). */
  match?: RuleMatch;
  /** In the order a pull tries them: the mirrors, then the original when fallback is on; just the original for pass; none for block. */
  candidates: PlannedCandidate[];
  blockMessage?: string;
  retag: boolean;
  keepMirrorTag: boolean;
  /** One or two plain sentences for the CLI and the UI. */
  explanation: string;
}

/** What pulling `ref` (as `parseNormalizedNamed` gives it) does under `config`. */
export function planPull(ref: Reference, config: Config): PullPlan {
  const text = referenceString(ref);
  const original: PlannedCandidate = { ref, text, kind: 'original' };
  const pass = (explanation: string, match?: RuleMatch): PullPlan => ({
    action: 'pass',
    original: ref,
    ...(match && { match }),
    candidates: [original],
    retag: false,
    keepMirrorTag: false,
    explanation,
  });
  // Explicit rules always win; the local cache is the lowest-priority rule.
  const match = matchRule(ref, config) ?? matchCacheRule(ref, config);
  if (!match) return pass(explainPass(text, config.enabled ? 'no rule' : 'disabled'));
  const { rule } = match;
  if (isBlockRule(rule)) {
    return {
      action: 'block',
      original: ref,
      match,
      candidates: [],
      blockMessage: rule.block,
      retag: false,
      keepMirrorTag: false,
      explanation: explainBlock(match, text, rule.block),
    };
  }
  // A tag can move, a digest cannot: digestOnly rules trust the mirror only for immutable pulls.
  if (rule.digestOnly && !ref.digest) return pass(explainDigestOnly(match, text), match);
  // A mirror that is a local cache (implicit, or chosen in an explicit rule) is started on demand.
  const mirrors = rule.to.map((to) => {
    const cache = match.cache ?? cacheOfMirror(to, config);
    return { ...mirrorCandidate(ref, rule, to), ...(cache ? { cache } : {}) };
  });
  const usable = mirrors.filter((c) => c.ref !== null).map((c) => c.text);
  return {
    action: 'mirror',
    original: ref,
    match,
    candidates: rule.fallback ? [...mirrors, original] : mirrors,
    retag: rule.retag,
    keepMirrorTag: rule.keepMirrorTag,
    explanation: explainMirror({ ...match, rule }, ref, usable, mirrors.length - usable.length),
  };
}

function mirrorCandidate(ref: Reference, rule: MirrorRule, to: string): PlannedCandidate {
  const rewritten = rewriteCandidate(ref, rule.from, to);
  return rewritten.ref === null
    ? { ref: null, text: rewritten.text, kind: 'mirror', mirror: to, skipped: rewritten.skipped }
    : { ref: rewritten.ref, text: rewritten.text, kind: 'mirror', mirror: to };
}
