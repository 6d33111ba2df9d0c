// Which request-log entries a view shows: the filter model and its pure predicate, shared by
// the inspector and the CLI. The inspector runs it over up to 100,000 entries at once, so a
// filter is compiled once (sets, lowered terms) and the predicate does no set-up per entry.
import type { LogAction, LogEntry, RouteName } from './log';

/** Status buckets a user filters by; `pending` has no response head yet, `no response` never got one. */
export type StatusClass = 'pending' | 'no response' | '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

/** Empty lists and empty strings mean "any". */
export interface LogFilter {
  actions: readonly LogAction[];
  methods: readonly string[];
  statusClasses: readonly StatusClass[];
  routes: readonly RouteName[];
  /** Matches, case-insensitively, part of the image as the client wrote it or as it was rewritten. */
  image: string;
  /**
   * Whitespace-separated words that must all appear in the entry (method, path, route, image,
   * status, action, error, rule, candidates); a word `image:`, `status:`, `rule:`, `method:` or
   * `endpoint:` looks only there (`status:` takes an action, a class such as 4xx, or a code).
   */
  text: string;
  pullsOnly: boolean;
}

export const emptyLogFilter: LogFilter = {
  actions: [], methods: [], statusClasses: [], routes: [], image: '', text: '', pullsOnly: false,
};

export function statusClass(entry: Pick<LogEntry, 'status' | 'pending'>): StatusClass {
  const { status } = entry;
  if (status === null) return entry.pending ? 'pending' : 'no response';
  if (status < 200) return '1xx';
  if (status < 300) return '2xx';
  if (status < 400) return '3xx';
  if (status < 500) return '4xx';
  return '5xx';
}

export function isEmptyLogFilter(filter: LogFilter): boolean {
  return !filter.pullsOnly && filter.actions.length === 0 && filter.methods.length === 0
    && filter.statusClasses.length === 0 && filter.routes.length === 0
    && filter.image.trim() === '' && filter.text.trim() === '';
}

const contains = (value: string | undefined | null, needle: string): boolean =>
  value != null && value.toLowerCase().includes(needle);

function imageMatches(entry: LogEntry, needle: string): boolean {
  const rewrite = entry.rewrite;
  return contains(entry.image, needle)
    || (rewrite !== undefined && (contains(rewrite.original, needle) || contains(rewrite.source, needle)));
}

function textMatches(entry: LogEntry, term: string): boolean {
  if (contains(entry.method, term) || contains(entry.path, term) || contains(entry.route, term)
    || contains(entry.action, term) || contains(entry.image, term) || contains(entry.error, term)
    || (entry.status !== null && String(entry.status).includes(term))) return true;
  const rewrite = entry.rewrite;
  if (rewrite === undefined) return false;
  if (contains(rewrite.original, term) || contains(rewrite.source, term) || contains(rewrite.mappedTo, term)) return true;
  if (rewrite.rule && (contains(rewrite.rule.from, term) || contains(rewrite.rule.name, term))) return true;
  return rewrite.candidates.some((c) => contains(c.ref, term) || contains(c.reason, term));
}

type Word = (entry: LogEntry) => boolean;

const ruleMatches = (entry: LogEntry, needle: string): boolean => {
  const rule = entry.rewrite?.rule;
  return rule !== undefined && (contains(rule.from, needle) || contains(rule.name, needle));
};

const statusMatches = (entry: LogEntry, needle: string): boolean => {
  // `fell-back` and `fellback` both name the action written with a space.
  const action = needle.replace(/[-_]/g, ' ');
  if (entry.action === action || entry.action.replace(' ', '') === needle) return true;
  if (statusClass(entry) === action) return true;
  return entry.status !== null && String(entry.status).startsWith(needle);
};

const fields: Record<string, (entry: LogEntry, needle: string) => boolean> = {
  image: imageMatches,
  status: statusMatches,
  rule: ruleMatches,
  method: (entry, needle) => entry.method.toLowerCase() === needle,
  endpoint: (entry, needle) => contains(entry.route, needle),
};

/** One word of the text box: `field:value` for a known field, else a free-text word. */
function compileWord(word: string): Word {
  const colon = word.indexOf(':');
  const field = colon > 0 ? fields[word.slice(0, colon)] : undefined;
  const needle = colon > 0 ? word.slice(colon + 1) : '';
  if (field && needle) return (entry) => field(entry, needle);
  // `image:` alone (still being typed) asks for nothing yet.
  if (field) return () => true;
  return (entry) => textMatches(entry, word);
}

/** Compiles a filter into a predicate; compile once per filter change, then call per entry. */
export function compileLogFilter(filter: LogFilter): (entry: LogEntry) => boolean {
  const actions = filter.actions.length ? new Set<string>(filter.actions) : null;
  const methods = filter.methods.length ? new Set(filter.methods.map((m) => m.toUpperCase())) : null;
  const classes = filter.statusClasses.length ? new Set<string>(filter.statusClasses) : null;
  const routes = filter.routes.length ? new Set<string>(filter.routes) : null;
  const image = filter.image.trim().toLowerCase();
  const terms = filter.text.toLowerCase().split(/\s+/).filter(Boolean).map(compileWord);
  const pullsOnly = filter.pullsOnly;
  if (!actions && !methods && !classes && !routes && !image && terms.length === 0 && !pullsOnly) return () => true;

  return (entry) => {
    if (pullsOnly && entry.route !== 'pull') return false;
    if (actions && !actions.has(entry.action)) return false;
    if (methods && !methods.has(entry.method.toUpperCase())) return false;
    if (classes && !classes.has(statusClass(entry))) return false;
    if (routes && !routes.has(entry.route)) return false;
    if (image && !imageMatches(entry, image)) return false;
    for (const term of terms) if (!term(entry)) return false;
    return true;
  };
}

export function matchesLogFilter(entry: LogEntry, filter: LogFilter): boolean {
  return compileLogFilter(filter)(entry);
}
