// Inline validation of the draft with the shared schema, memoised per draft object so a
// selector can call it on every store change and get the same array back.
import type { Config } from '#shared/config/schema';
import { validateConfig, type ValidatedConfig } from '#shared/config/validate';

export type ConfigIssue = Extract<ValidatedConfig, { ok: false }>['issues'][number];

const cache = new WeakMap<Config, readonly ConfigIssue[]>();
const none: readonly ConfigIssue[] = [];

export function draftIssues(draft: Config | null): readonly ConfigIssue[] {
  if (!draft) return none;
  let issues = cache.get(draft);
  if (!issues) {
    const result = validateConfig(draft);
    issues = result.ok ? none : result.issues;
    cache.set(draft, issues);
  }
  return issues;
}

/** The message for one field (`rules.2.to.0`), if it has a problem. */
export function issueAt(issues: readonly ConfigIssue[], field: string): string | undefined {
  return issues.find((i) => i.field === field)?.message;
}

/** How many problems lie at or under a field (`rules.2`), e.g. to mark a rule in the list. */
export function issuesUnder(issues: readonly ConfigIssue[], field: string): number {
  return issues.filter((i) => i.field === field || i.field.startsWith(field + '.')).length;
}
