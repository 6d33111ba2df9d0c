// Which rule decides a pull: the enabled rule whose `from` is the longest matching prefix of
// the fully-qualified name. Never rewrites anything; see rewrite.ts and plan.ts.
import type { Config, Rule } from '../config/schema';
import { moreSpecific, parsePrefix, prefixSpecificity, type Specificity } from './prefix';

/** The rule that decided, with its position in `config.rules`. */
export interface RuleMatch {
  /** -1 for the local cache's implicit rule. */
  index: number;
  rule: Rule;
  /** Set when the rule is the local cache's implicit rule for this registry. */
  cache?: string;
}

/**
 * The rule for `name` (`domain/path`, as `parseNormalizedNamed` gives it), or undefined when
 * no enabled rule matches or the config is turned off. Among equally specific rules the
 * earlier one wins.
 */
export function matchRule(name: { domain: string; path: string }, config: Config): RuleMatch | undefined {
  if (!config.enabled) return undefined;
  let best: { match: RuleMatch; specificity: Specificity } | undefined;
  config.rules.forEach((rule, index) => {
    if (!rule.enabled) return;
    const specificity = prefixSpecificity(parsePrefix(rule.from), name);
    if (specificity && (!best || moreSpecific(specificity, best.specificity))) {
      best = { match: { index, rule }, specificity };
    }
  });
  return best?.match;
}
