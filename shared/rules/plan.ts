// The pull plan: what a pull of one reference does under the config (mirror, block or pass),
// with its candidates in the order they are tried. The proxy, `resolve` and the rule
// editor's preview all call planPull, so they cannot disagree. Never performs a pull.
import { type Config, type MirrorRule, isBlockRule } from '../config/schema';
import { type Reference, referenceString } from '../reference';
import { explainBlock, explainDigestOnly, explainMirror, explainPass, type MirrorRoute } from './explain';
import { type RuleMatch, matchRule } from './match';
import { cacheOfMirror, matchCacheRule } from './cache-rules';
import { rewriteCandidate } from './rewrite';

/**
 * One reference a pull would try, or one it will not try and why (`skipped`, then `ref` is
 * null): a mirror that gives no valid name, or a candidate that repeats an earlier one.
 * A mirror location that gives the original reference itself is the original (`kind`
 * 'original', `mirror` set): pulling it is pulling the original, and it is never renamed.
 */
export type PlannedCandidate = (
  | { ref: Reference; text: string; kind: 'mirror' | 'original'; mirror?: string; skipped?: never }
  | { ref: null; text: string; kind: 'mirror' | 'original'; mirror?: string; skipped: string }
) & {
  /** The cached registry, when the candidate is the local cache. */
  cache?: string;
};

export type MirrorMatch = RuleMatch & { rule: MirrorRule };

/** A mirror rule decided: its candidates in order (the mirrors, then the original when fallback is on). */
export interface MirrorPlan {
  kind: 'mirror';
  original: Reference;
  match: MirrorMatch;
  candidates: PlannedCandidate[];
  retag: boolean;
  keepMirrorTag: boolean;
  /** One or two plain sentences for the CLI and the UI. */
  explanation: string;
}

/** A block rule decided: nothing is pulled, the client gets the rule's message. */
export interface BlockPlan {
  kind: 'block';
  original: Reference;
  match: RuleMatch;
  message: string;
  explanation: string;
}

/** The pull goes to its own registry untouched; `match` is the digestOnly rule that let a tag pull pass, if any. */
export interface PassPlan {
  kind: 'pass';
  original: Reference;
  match: RuleMatch | null;
  candidates: [PlannedCandidate];
  explanation: string;
}

export type PullPlan = MirrorPlan | BlockPlan | PassPlan;

/** What pulling `ref` (as `parseNormalizedNamed` gives it) does under `config`. */
export function planPull(ref: Reference, config: Config): PullPlan {
  const text = referenceString(ref);
  const pass = (explanation: string, match: RuleMatch | null): PassPlan => ({
    kind: 'pass',
    original: ref,
    match,
    candidates: [{ ref, text, kind: 'original' }],
    explanation,
  });
  // Explicit rules always win; the local cache is the lowest-priority rule.
  const match = matchRule(ref, config) ?? matchCacheRule(ref, config);
  if (!match) return pass(explainPass(text, config.enabled ? 'no rule' : 'disabled'), null);
  const { rule } = match;
  if (isBlockRule(rule)) {
    return { kind: 'block', original: ref, match, message: rule.block, explanation: explainBlock(match, text, rule.block) };
  }
  // A tag can move, a digest cannot: digestOnly rules trust the mirror only for immutable pulls.
  if (rule.digestOnly && !ref.digest) return pass(explainDigestOnly(match, text), match);
  const mirrorMatch: MirrorMatch = { ...match, rule };
  // A mirror that is a local cache (implicit, or chosen in an explicit rule) is started on demand.
  const mirrors = rule.to.map((to): PlannedCandidate => {
    const cache = match.cache ?? cacheOfMirror(to, config);
    return { ...mirrorCandidate(ref, rule, to), ...(cache ? { cache } : {}) };
  });
  const candidates = withoutRepeats(rule.fallback ? [...mirrors, { ref, text, kind: 'original' }] : mirrors);
  return {
    kind: 'mirror',
    original: ref,
    match: mirrorMatch,
    candidates,
    retag: rule.retag,
    keepMirrorTag: rule.keepMirrorTag,
    explanation: explainMirror(mirrorMatch, ref, routeOf(mirrors, candidates)),
  };
}

function mirrorCandidate(ref: Reference, rule: MirrorRule, to: string): PlannedCandidate {
  const rewritten = rewriteCandidate(ref, rule.from, to);
  if (rewritten.ref === null) return { ref: null, text: rewritten.text, kind: 'mirror', mirror: to, skipped: rewritten.skipped };
  // Tagging an image with its own name and then removing the "mirror" name would delete it.
  const kind = rewritten.text === referenceString(ref) ? 'original' : 'mirror';
  return { ref: rewritten.ref, text: rewritten.text, kind, mirror: to };
}

/** The candidates with every repeat of an earlier one turned into a skipped entry that says so. */
function withoutRepeats(candidates: PlannedCandidate[]): PlannedCandidate[] {
  const seen = new Map<string, number>();
  return candidates.map((c, i) => {
    if (c.ref === null) return c;
    const first = seen.get(c.text);
    if (first === undefined) {
      seen.set(c.text, i);
      return c;
    }
    const { ref: _ref, ...rest } = c;
    return { ...rest, ref: null, skipped: `the same reference as candidate ${first + 1}, which is tried already.` };
  });
}

/** The counts the explanation gives: what is tried before any fallback, what is skipped and why. */
function routeOf(mirrors: PlannedCandidate[], candidates: PlannedCandidate[]): MirrorRoute {
  const invalid = mirrors.filter((c) => c.ref === null).length;
  return {
    tried: candidates.filter((c) => c.ref !== null && c.mirror !== undefined).map((c) => ({ text: c.text, itself: c.kind === 'original' })),
    invalid,
    repeats: candidates.filter((c) => c.ref === null).length - invalid,
  };
}
