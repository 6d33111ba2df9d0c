// Writes a Config as YAML text onto the file's parsed Document when there is one, so the
// file's comments, key order and quoting survive an edit. Pure: never touches the disk.
import { Document, YAMLMap, YAMLSeq, isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';
import { defaultConfig, isBlockRule, sameValue, mirrorRuleSchema, type BlockRule, type Config, type MirrorRule, type Rule } from './schema';

/**
 * One key to write. `value: undefined` removes the key. With `omitDefault`, a key the file
 * does not have yet is left out while it holds its default, so files stay short. Lists
 * bring their own `create` and `update`; scalars are set in place, keeping their comments.
 */
interface Entry {
  value: unknown;
  omitDefault?: unknown;
  create?: () => Node;
  update?: (pair: Pair) => void;
}

const ruleDefaults = mirrorRuleSchema.parse({ from: 'localhost', to: 'localhost' });

// Where a new key goes: after the keys that come before it in this order.
const topOrder = ['version', 'enabled', 'listen', 'group', 'upstream', 'notifications', 'rules', 'cache'];
const ruleOrder = ['from', 'to', 'block', 'fallback', 'retag', 'keepMirrorTag', 'digestOnly', 'enabled', 'name'];

/** YAML text for `config`; with `base`, the edits are applied to a copy of it. */
export function configToYaml(config: Config, base?: Document | null): string {
  const doc = base ? base.clone() : new Document();
  const root = isMap(doc.contents) ? doc.contents : new YAMLMap(doc.schema);
  doc.contents = root;
  const entries: Record<keyof Config, Entry> = {
    version: { value: config.version },
    // A new file shows the master switch; an existing file gets it only once it is off.
    enabled: base ? { value: config.enabled, omitDefault: defaultConfig.enabled } : { value: config.enabled },
    listen: { value: config.listen },
    group: { value: config.group },
    upstream: { value: config.upstream, omitDefault: defaultConfig.upstream },
    notifications: { value: config.notifications, omitDefault: defaultConfig.notifications },
    rules: {
      value: config.rules,
      create: () => rulesNode(doc, config.rules),
      update: (pair) => {
        if (isSeq(pair.value)) applyRules(doc, pair.value, config.rules);
        else replaceValue(pair, rulesNode(doc, config.rules));
      },
    },
    // A file gets a `cache` section only once its settings differ from the defaults.
    cache: { value: config.cache, omitDefault: sameValue(config.cache, defaultConfig.cache) ? config.cache : defaultConfig.cache },
  };
  applyMap(doc, root, entries, topOrder);
  return doc.toString({ flowCollectionPadding: false, lineWidth: 0 });
}

function applyMap(doc: Document, map: YAMLMap, entries: Record<string, Entry>, order: readonly string[]): void {
  map.items = map.items.filter((pair) => entries[keyText(pair.key)]?.value !== undefined);
  for (const key of order) {
    const entry = entries[key];
    if (entry === undefined || entry.value === undefined) continue;
    const pair = map.items.find((p) => keyText(p.key) === key);
    if (pair === undefined) {
      if ('omitDefault' in entry && entry.omitDefault === entry.value) continue;
      const node = entry.create ? entry.create() : doc.createNode(entry.value);
      map.items.splice(insertionIndex(map, key, order), 0, doc.createPair(key, node));
    } else if (entry.update) {
      entry.update(pair);
    } else if (isScalar(pair.value)) {
      if (pair.value.value !== entry.value) pair.value.value = entry.value;
    } else {
      replaceValue(pair, doc.createNode(entry.value));
    }
  }
}

function insertionIndex(map: YAMLMap, key: string, order: readonly string[]): number {
  const rank = order.indexOf(key);
  let index = 0;
  map.items.forEach((pair, i) => {
    if (order.indexOf(keyText(pair.key)) < rank) index = i + 1;
  });
  return index;
}

function applyRules(doc: Document, seq: YAMLSeq, rules: Rule[]): void {
  seq.items = reconcile(
    seq.items,
    rules,
    (node, rule) => isMap(node) && keyText(node.get('from', true)) === rule.from,
    (node, rule) => {
      if (!isMap(node)) return ruleNode(doc, rule);
      applyRule(doc, node, rule);
      return node;
    },
    (rule) => ruleNode(doc, rule),
  );
}

function rulesNode(doc: Document, rules: Rule[]): YAMLSeq {
  const seq = new YAMLSeq(doc.schema);
  applyRules(doc, seq, rules);
  return seq;
}

function ruleNode(doc: Document, rule: Rule): YAMLMap {
  const map = new YAMLMap(doc.schema);
  applyRule(doc, map, rule);
  return map;
}

function applyRule(doc: Document, map: YAMLMap, rule: Rule): void {
  applyMap(doc, map, isBlockRule(rule) ? blockEntries(rule) : mirrorEntries(doc, rule), ruleOrder);
}

function mirrorEntries(doc: Document, rule: MirrorRule): Record<keyof MirrorRule, Entry> {
  return {
    from: { value: rule.from },
    to: { value: rule.to, create: () => mirrorsNode(doc, rule.to), update: (pair) => applyMirrors(doc, pair, rule.to) },
    fallback: { value: rule.fallback, omitDefault: ruleDefaults.fallback },
    retag: { value: rule.retag, omitDefault: ruleDefaults.retag },
    keepMirrorTag: { value: rule.keepMirrorTag, omitDefault: ruleDefaults.keepMirrorTag },
    digestOnly: { value: rule.digestOnly, omitDefault: ruleDefaults.digestOnly },
    enabled: { value: rule.enabled, omitDefault: ruleDefaults.enabled },
    name: { value: rule.name },
  };
}

function blockEntries(rule: BlockRule): Record<keyof BlockRule, Entry> {
  return {
    from: { value: rule.from },
    block: { value: rule.block },
    enabled: { value: rule.enabled, omitDefault: ruleDefaults.enabled },
    name: { value: rule.name },
  };
}

// `to`: one mirror is written as a string, several as a one-line list, as in the README.
function mirrorsNode(doc: Document, mirrors: string[]): Node {
  const [only] = mirrors;
  if (mirrors.length === 1 && only !== undefined) return doc.createNode(only);
  const seq = doc.createNode(mirrors);
  if (isSeq(seq)) seq.flow = true;
  return seq;
}

// An existing list keeps its style and the comments of the items that stay; a single
// string stays a string until a second mirror is added.
function applyMirrors(doc: Document, pair: Pair, mirrors: string[]): void {
  const [only] = mirrors;
  if (isSeq(pair.value)) {
    pair.value.items = reconcile(
      pair.value.items,
      mirrors,
      (node, mirror) => isScalar(node) && node.value === mirror,
      (node, mirror) => {
        if (!isScalar(node)) return doc.createNode(mirror);
        node.value = mirror;
        return node;
      },
      (mirror) => doc.createNode(mirror),
    );
  } else if (isScalar(pair.value) && mirrors.length === 1 && only !== undefined) {
    pair.value.value = only;
  } else {
    replaceValue(pair, mirrorsNode(doc, mirrors));
  }
}

/**
 * The new items of a sequence, reusing existing nodes (and so their comments): first the
 * node that is the same item (same `from`, same string), then the unused node at the same
 * index (an edited item), else a new node.
 */
function reconcile<T>(
  existing: unknown[],
  desired: T[],
  same: (node: unknown, value: T) => boolean,
  update: (node: unknown, value: T) => unknown,
  create: (value: T) => unknown,
): unknown[] {
  const used = new Set<number>();
  const matched = desired.map((value) => {
    const index = existing.findIndex((node, i) => !used.has(i) && same(node, value));
    if (index !== -1) used.add(index);
    return index;
  });
  return desired.map((value, i) => {
    const match = matched[i] ?? -1;
    if (match !== -1) return update(existing[match], value);
    if (i < existing.length && !used.has(i)) {
      used.add(i);
      return update(existing[i], value);
    }
    return create(value);
  });
}

// A replaced value keeps the comments that were attached to the old one.
function replaceValue(pair: Pair, node: Node): void {
  const old: unknown = pair.value;
  if (isScalar(old) || isMap(old) || isSeq(old)) {
    node.comment = old.comment ?? null;
    node.commentBefore = old.commentBefore ?? null;
  }
  pair.value = node;
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}
