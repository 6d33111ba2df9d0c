// What a docker-caching config file is: the zod schema is the single source of the
// Config type, used by main (file loading), the CLI and the rule editor (live validation).
// Pure: no Node, no DOM.
import { z } from 'zod';
import { mirrorProblem, prefixProblem } from './registry-location';
import { cacheSchema } from './cache-schema';

export { mirrorPattern, prefixPattern } from './registry-location';

// A string checked by a function that names what is wrong. The issue does not abort, so a
// union can still tell that this branch (a string) was the one the user meant.
const checkedString = (problem: (value: string) => string | undefined) =>
  z.string().check((ctx) => {
    const message = problem(ctx.value);
    if (message !== undefined) ctx.issues.push({ code: 'custom', message, input: ctx.value, continue: true });
  });

const prefix = checkedString(prefixProblem);
const mirror = checkedString(mirrorProblem);

/** `to`: one mirror location or a list of them, always a list once parsed. */
const mirrorList = z
  .union([mirror, z.array(mirror).min(1, 'needs at least one mirror location')], {
    error: 'must be a registry location such as localhost:5000, or a list of them',
  })
  .transform((to) => (typeof to === 'string' ? [to] : to));

const blockMessage = z
  .string()
  .min(1, 'must not be empty: say why pulls are blocked')
  .max(1000, 'is longer than 1000 characters');

const ruleBase = {
  from: prefix,
  enabled: z.boolean().default(true),
  name: z.string().max(200, 'is longer than 200 characters').optional(),
};

export const mirrorRuleSchema = z.strictObject({
  ...ruleBase,
  to: mirrorList,
  fallback: z.boolean().default(true),
  retag: z.boolean().default(true),
  keepMirrorTag: z.boolean().default(false),
  digestOnly: z.boolean().default(false),
});

export const blockRuleSchema = z.strictObject({
  ...ruleBase,
  block: blockMessage,
});

const mirrorOnlyKeys = ['fallback', 'retag', 'keepMirrorTag', 'digestOnly'] as const;

/**
 * A rule: a mirror rule (`to`) or a block rule (`block`). One object schema with every key
 * optional, so a mistake is reported once, against the key that is wrong, instead of as a
 * failed match against both kinds of rule.
 */
export const ruleSchema = z
  .strictObject({
    ...ruleBase,
    to: mirrorList.optional(),
    block: blockMessage.optional(),
    fallback: z.boolean().optional(),
    retag: z.boolean().optional(),
    keepMirrorTag: z.boolean().optional(),
    digestOnly: z.boolean().optional(),
  })
  .check((ctx) => {
    const rule = ctx.value;
    if (rule.to !== undefined && rule.block !== undefined) {
      ctx.issues.push({
        code: 'custom',
        input: rule,
        message: 'has both `to` and `block`: a rule either redirects pulls to mirrors (`to`) or blocks them (`block`), not both',
      });
    } else if (rule.to === undefined && rule.block === undefined) {
      ctx.issues.push({
        code: 'custom',
        input: rule,
        message: 'needs either `to` (the mirror locations to pull from) or `block` (a message saying why pulls are blocked)',
      });
    } else if (rule.block !== undefined) {
      for (const key of mirrorOnlyKeys) {
        if (rule[key] !== undefined) {
          ctx.issues.push({
            code: 'custom',
            input: rule[key],
            path: [key],
            message: 'applies only to mirror rules (with `to`), not to a rule that blocks',
          });
        }
      }
    }
  })
  // The check above guarantees which kind this is; the kind's own schema fills the defaults.
  // A block rule drops the mirror keys, which a draft from a form may hold as `undefined`.
  .transform(({ block, ...rest }): MirrorRule | BlockRule => {
    if (block === undefined) return mirrorRuleSchema.parse(rest);
    const { to: _to, fallback: _f, retag: _r, keepMirrorTag: _k, digestOnly: _d, ...base } = rest;
    return blockRuleSchema.parse({ ...base, block });
  });

/** The keys a rule may have, for "did you mean" hints. */
export const ruleKeys: readonly string[] = Object.keys(ruleSchema.in.shape);

export const configSchema = z.strictObject({
  version: z.literal(1, {
    error: (issue) =>
      issue.input === undefined
        ? 'is required: start the file with `version: 1`'
        : 'must be 1, the only config format version this release understands',
  }),
  enabled: z.boolean().default(true),
  listen: z.string().min(1, 'must not be empty').max(4096, 'is longer than 4096 characters').optional(),
  /** A group whose members may use the socket too (mode 0660); by default only the owner (0600). */
  group: z.string().regex(/^[a-z_][a-z0-9_-]*[$]?$|^\d+$/i, 'must be a group name or number, such as docker').max(64).optional(),
  upstream: z
    .string()
    .max(4096, 'is longer than 4096 characters')
    .refine(
      (upstream) => upstream === 'auto' || /^(?:unix|npipe|tcp):\/\/./.test(upstream),
      'must be auto or a Docker engine address such as unix:///var/run/docker.sock or tcp://127.0.0.1:2375',
    )
    .default('auto'),
  notifications: z.boolean().default(true),
  rules: z.array(ruleSchema).default([]),
  /** The local pull-through caches; see cache-schema.ts. */
  cache: cacheSchema.default(() => cacheSchema.parse({})),
});

/** The keys a config file may have at its top level, for "did you mean" hints. */
export const configKeys: readonly string[] = Object.keys(configSchema.shape);

/** The config as written in a file (defaults optional). */
export type ConfigInput = z.input<typeof configSchema>;
/** The config after validation, defaults filled in. */
export type Config = z.output<typeof configSchema>;
export type MirrorRule = z.output<typeof mirrorRuleSchema>;
export type BlockRule = z.output<typeof blockRuleSchema>;
export type Rule = MirrorRule | BlockRule;

export const isBlockRule = (rule: Rule): rule is BlockRule => 'block' in rule;

export const defaultConfig: Config = configSchema.parse({ version: 1 });

/** Whether two configs say the same thing (key order and absent-vs-undefined aside). */
export function sameConfig(a: Config, b: Config): boolean {
  return sameValue(a, b);
}

/** Whether two values parsed from YAML say the same thing. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}
