// `docker-caching resolve [--config FILE] [--json] [--] REF`: what the rules make of REF,
// from the same planPull the proxy uses. Exits 1 with a one-line error for an invalid
// reference or config. Never pulls anything.
import { homedir } from 'node:os';
import { parseArgs } from 'node:util';
import type { Config } from '#shared/config/schema';
import { formatProblem } from '#shared/config/validate';
import { familiarString, parseNormalizedNamed, referenceString, tagNameOnly, type Reference } from '#shared/reference';
import { planPull } from '#shared/rules/plan';
import { defaultConfigPath } from '../engine/config/config-paths';
import { loadConfigFile } from '../engine/config/config-file';

interface Io {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  env: NodeJS.ProcessEnv;
}

export async function resolveCommand(args: string[], io: Io): Promise<number> {
  let values: { config?: string; json?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args, options: { config: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true, strict: true }));
  } catch (err) {
    io.stderr.write(`docker-caching resolve: ${(err as Error).message} (use -- before a reference that starts with -)\n`);
    return 2;
  }
  if (positionals.length !== 1) {
    io.stderr.write('usage: docker-caching resolve [--config FILE] [--json] [--] REF\n');
    return 2;
  }
  const input = positionals[0]!;
  let ref: Reference;
  try {
    ref = parseNormalizedNamed(input);
  } catch (err) {
    io.stderr.write(`docker-caching resolve: invalid reference "${input}": ${(err as Error).message}\n`);
    return 1;
  }
  let config: Config;
  try {
    const read = await loadConfigFile(values.config ?? defaultConfigPath({ env: io.env, home: homedir(), platform: process.platform }));
    if (!read.ok) throw new Error(formatProblem(read.problem));
    config = read.config;
  } catch (err) {
    io.stderr.write(`docker-caching resolve: ${(err as Error).message}\n`);
    return 1;
  }
  // A pull without tag or digest pulls :latest (the CLI adds it), so the candidates say so.
  const plan = planPull(tagNameOnly(ref), config);
  const rule = plan.match ? { index: plan.match.index, ...plan.match.rule, ...(plan.match.cache ? { cache: plan.match.cache } : {}) } : null;
  const candidates = plan.kind === 'block' ? [] : plan.candidates;
  if (values.json) {
    io.stdout.write(JSON.stringify({
      input,
      normalized: referenceString(ref),
      familiar: familiarString(ref),
      action: plan.kind,
      candidates: candidates.filter((c) => c.ref !== null).map((c) => c.text),
      skipped: candidates.flatMap((c) => (c.ref === null ? [{ candidate: c.text, reason: c.skipped }] : [])),
      rule,
      ...(plan.kind === 'block' ? { message: plan.message } : {}),
      explanation: plan.explanation,
    }) + '\n');
    return 0;
  }
  const lines = [
    `input:      ${input}`,
    `normalized: ${referenceString(ref)}`,
    `familiar:   ${familiarString(ref)}`,
    `action:     ${plan.kind}${rule ? ` (${plan.match?.cache ? rule.name : `rule ${rule.index + 1}: ${rule.name ? `${rule.name}, ` : ''}from ${rule.from}`})` : ''}`,
    ...candidates.map((c, i) => `  ${i + 1}. ${c.text}${c.kind === 'original' ? ' (original)' : ''}${c.ref === null ? ` — skipped: ${c.skipped}` : ''}`),
    plan.explanation,
  ];
  io.stdout.write(lines.join('\n') + '\n');
  return 0;
}
