// Rule matching and the pull plan, shared by the proxy, the CLI and the rule editor.
// Pure: no Node, no DOM, no I/O.
export { type RuleMatch, matchRule } from './match';
export { rewriteName } from './rewrite';
export { type BlockPlan, type MirrorMatch, type MirrorPlan, type PassPlan, type PlannedCandidate, type PullPlan, planPull } from './plan';
export { ruleLabel } from './explain';
export { cacheLabel, cacheMirror, cacheOfMirror, cacheRule, matchCacheRule } from './cache-rules';
