// What a docker-caching config file is: the zod schema is the single source of the
// Config type, used by main (file loading), the CLI and the rule editor (live validation).
// Pure: no Node, no DOM.
import { z } from 'zod';

/** A rule's `from`: a registry domain (optionally `*.` wildcard and `:port`) plus optional path. */
export const prefixPattern =
  /^(\*\.)?(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/** A mirror location: domain (optionally `:port`) plus optional path; no wildcard. */
export const mirrorPattern =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

const prefix = z
  .string()
  .max(255)
  .regex(prefixPattern, 'must be a registry prefix such as docker.io/library, ghcr.io, localhost:5000 or *.example.com');
const mirror = z
  .string()
  .max(255)
  .regex(mirrorPattern, 'must be a registry location such as localhost:5000 or mirror.example.com/hub');

const common = {
  from: prefix,
  enabled: z.boolean().default(true),
  name: z.string().max(200).optional(),
};

export const mirrorRuleSchema = z.strictObject({
  ...common,
  to: z.union([mirror.transform((m) => [m]), z.array(mirror).min(1, 'needs at least one mirror')]),
  fallback: z.boolean().default(true),
  retag: z.boolean().default(true),
  keepMirrorTag: z.boolean().default(false),
  digestOnly: z.boolean().default(false),
});

export const blockRuleSchema = z.strictObject({
  ...common,
  block: z.string().min(1, 'needs a message saying why pulls are blocked').max(1000),
});

export const ruleSchema = z.union([mirrorRuleSchema, blockRuleSchema]);

export const configSchema = z.strictObject({
  version: z.literal(1),
  enabled: z.boolean().default(true),
  listen: z.string().min(1).optional(),
  upstream: z.string().min(1).default('auto'),
  notifications: z.boolean().default(true),
  rules: z.array(ruleSchema).default([]),
});

/** The config as written in a file (defaults optional). */
export type ConfigInput = z.input<typeof configSchema>;
/** The config after validation, defaults filled in. */
export type Config = z.output<typeof configSchema>;
export type Rule = z.output<typeof ruleSchema>;
export type MirrorRule = z.output<typeof mirrorRuleSchema>;
export type BlockRule = z.output<typeof blockRuleSchema>;

export const isBlockRule = (rule: Rule): rule is BlockRule => 'block' in rule;

export const defaultConfig: Config = configSchema.parse({ version: 1 });
