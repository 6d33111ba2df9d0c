// Pure edits of the rule editor's draft and the comparisons that derive "dirty" from it.
// The draft is a Config whose strings may not be valid yet; validation says which are not.
import type { BlockRule, Config, MirrorRule, Rule } from '#shared/config/schema';
import { isBlockRule } from '#shared/config/schema';

export type RuleKind = 'mirror' | 'block';

export const newMirrorRule = (from = ''): MirrorRule => ({
  from, enabled: true, to: [''], fallback: true, retag: true, keepMirrorTag: false, digestOnly: false,
});

export const newBlockRule = (from = ''): BlockRule => ({ from, enabled: true, block: '' });

/** Switches a rule between mirroring and blocking, keeping what both kinds share. */
export function withKind(rule: Rule, kind: RuleKind): Rule {
  if ((kind === 'block') === isBlockRule(rule)) return rule;
  const base = kind === 'block' ? newBlockRule(rule.from) : newMirrorRule(rule.from);
  return { ...base, enabled: rule.enabled, ...(rule.name !== undefined ? { name: rule.name } : {}) };
}

/** Moves the item at `from` so that it ends up at index `to`. */
export function moved<T>(items: readonly T[], from: number, to: number): T[] {
  const out = items.slice();
  const [item] = out.splice(from, 1);
  out.splice(to, 0, item!);
  return out;
}

export const replaced = <T>(items: readonly T[], index: number, item: T): T[] =>
  items.map((x, i) => (i === index ? item : x));

export const removed = <T>(items: readonly T[], index: number): T[] => items.filter((_, i) => i !== index);

export const inserted = <T>(items: readonly T[], index: number, item: T): T[] =>
  [...items.slice(0, index), item, ...items.slice(index)];

/** Structural equality of plain data (key order does not matter; `undefined` equals absent). */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => sameData(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const key of keys) if (!sameData(ao[key], bo[key])) return false;
  return true;
}

export const cloneConfig = (config: Config): Config => structuredClone(config);
