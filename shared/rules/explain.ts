// The plain sentences the CLI's `resolve` and the rule editor show for a pull plan. Never
// decides anything: it only describes what plan.ts decided.
import type { MirrorRule } from '../config/schema';
import { type Reference, referenceString } from '../reference';
import type { RuleMatch } from './match';
import { cacheLabel } from './cache-rules';

/** `Rule "hub cache" (from docker.io)`, or `Rule 2 (from docker.io)` for an unnamed rule. */
export function ruleLabel({ index, rule, cache }: RuleMatch): string {
  if (cache !== undefined) return cacheLabel(cache);
  return `${rule.name ? `Rule "${rule.name}"` : `Rule ${index + 1}`} (from ${rule.from})`;
}

const capitalized = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

const sentence = (text: string): string => (/[.!?]$/.test(text) ? text : `${text}.`);

const listInOrder = (items: string[]): string => items.join(', then ');

export function explainPass(original: string, reason: 'disabled' | 'no rule'): string {
  return reason === 'disabled'
    ? `Redirecting is turned off in the config, so ${original} is pulled from its own registry.`
    : `No rule matches ${original}, so it is pulled from its own registry.`;
}

export function explainBlock(match: RuleMatch, original: string, message: string): string {
  return sentence(`${ruleLabel(match)} blocks ${original}: ${message}`);
}

export function explainDigestOnly(match: RuleMatch, original: string): string {
  return `${ruleLabel(match)} redirects only pulls by digest; ${original} is pulled by tag, so it goes to the original registry.`;
}

/** What a mirror plan's candidates come to, counted for the sentence. */
export interface MirrorRoute {
  /** The candidates tried before any fallback, in order; `itself` for a mirror location that gives the original reference. */
  tried: { text: string; itself: boolean }[];
  /** Mirror locations that give no valid image name. */
  invalid: number;
  /** Candidates dropped because they repeat an earlier one. */
  repeats: number;
}

const countNote = (n: number, one: string, many: string): string => (n === 1 ? ` (1 ${one})` : n > 1 ? ` (${n} ${many})` : '');

export function explainMirror(match: RuleMatch & { rule: MirrorRule }, ref: Reference, route: MirrorRoute): string {
  const { fallback, retag, keepMirrorTag } = match.rule;
  const original = referenceString(ref);
  if (route.tried.length === 0) {
    return fallback
      ? `${ruleLabel(match)} matches ${original}, but none of its mirror locations gives a valid image name, so it is pulled from the original registry.`
      : `${ruleLabel(match)} matches ${original}, but none of its mirror locations gives a valid image name and fallback is off, so the pull will fail.`;
  }
  const notes =
    countNote(route.invalid, 'mirror location gives no valid image name and is skipped', 'mirror locations give no valid image name and are skipped') +
    countNote(route.repeats, 'candidate repeats an earlier one and is dropped', 'candidates repeat earlier ones and are dropped');
  const list = listInOrder(route.tried.map((t) => (t.itself ? `${t.text} (the original itself)` : t.text)));
  const sends = `${capitalized(ruleLabel(match))} sends ${original} to ${list}${notes}`;
  if (route.tried.some((t) => t.itself)) {
    return `${sends}. A mirror location that gives the original reference is the original registry: that pull keeps its name and is never renamed.${route.tried.length > 1 ? ` ${afterMirrorPull(ref, retag, keepMirrorTag)}` : ''}`;
  }
  const n = route.tried.length;
  const ending = fallback ? `, then to the original registry if ${n === 1 ? 'that fails' : 'they all fail'}.` : `, and never to the original registry.`;
  return `${sends}${ending} ${afterMirrorPull(ref, retag, keepMirrorTag)}`;
}

/** What happens to the names after a successful mirror pull (the proxy's retag step). */
function afterMirrorPull(ref: Reference, retag: boolean, keepMirrorTag: boolean): string {
  if (!retag) return 'The image keeps only its mirror name.';
  if (ref.digest) return 'A digest cannot be tagged, so a mirror pull keeps its mirror name.';
  const original = referenceString(ref);
  return keepMirrorTag
    ? `A mirror pull is then tagged ${original}, keeping the mirror name too.`
    : `A mirror pull is then tagged ${original} and the mirror name removed.`;
}
