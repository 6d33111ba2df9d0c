// The order the rule list shows: as the rules match, not as the file lists them. Rules are
// grouped by registry (sorted by domain from its end, so a wildcard sits after the subdomains
// it also covers); within a registry the most specific prefix comes first (a longer path,
// then an exact domain before a wildcard). Only rules with the same prefix depend on their file
// order (the earlier one wins), so only they can be reordered. Pure.
import type { Rule } from '#shared/config/schema';
import { parsePrefix } from '#shared/rules/prefix';

export interface ListedRule {
  /** Position in the file (the draft's `rules`). */
  index: number;
  /** The registry the rule's prefix names, `*.example.com` for a wildcard: the group heading. */
  registry: string;
  /** File indexes of the rules with the same prefix, this one included, in file order; one entry when it ties with none. */
  ties: number[];
}

const prefixKey = (from: string): string => {
  const p = parsePrefix(from);
  return `${p.wildcard ? '*.' : ''}${p.host}${p.port === undefined ? '' : `:${p.port}`}/${p.path}`;
};

export function listedRules(rules: readonly Rule[]): ListedRule[] {
  const keyed = rules.map((rule, index) => {
    const p = parsePrefix(rule.from);
    const registry = `${p.wildcard ? '*.' : ''}${p.host}${p.port === undefined ? '' : `:${p.port}`}`;
    const sortKey = `${p.host.split('.').reverse().join('.')}${p.wildcard ? '.\uffff' : ''}:${p.port ?? ''}`;
    return { index, registry, sortKey, key: prefixKey(rule.from), pathLength: p.path.length };
  });
  const byKey = new Map<string, number[]>();
  for (const k of keyed) byKey.set(k.key, [...(byKey.get(k.key) ?? []), k.index]);
  keyed.sort((a, b) =>
    // A rule with no prefix yet (being written) stays at the end, where it was added.
    Number(rules[a.index]!.from === '') - Number(rules[b.index]!.from === '')
    || (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0)
    || b.pathLength - a.pathLength
    || a.index - b.index);
  return keyed.map(({ index, registry, key }) => ({ index, registry, ties: byKey.get(key)! }));
}
