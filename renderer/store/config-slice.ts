// The rule editor's state, HTTP Toolkit's model: `saved` is the config main runs (the truth),
// `draft` is what the user edits; "dirty" is derived by comparing them, never stored. A newer
// revision arriving while the draft is dirty is held in `incoming` until the user decides.
// A deleted rule is kept until the next edit so it can be put back; a new rule asks for focus.
import type { StateCreator } from 'zustand';
import { type Config, type Rule } from '#shared/config/schema';
import type { ConfigState, Result } from '#shared/ipc';
import { invoke } from '../api';
import { cloneConfig, inserted, moved, newBlockRule, newMirrorRule, removed, replaced, sameData, type RuleKind } from '../rules/draft';
import { draftIssues } from '../rules/validation';
import type { AppState } from './store';

let nextRuleKey = 1;
const freshKeys = (count: number): number[] => Array.from({ length: count }, () => nextRuleKey++);

export interface ConfigSlice {
  saved: ConfigState | null;
  draft: Config | null;
  /** Stable identities of the draft's rules, in the same order (list keys, focus, drag). */
  ruleKeys: number[];
  selectedRule: number;
  incoming: ConfigState | null;
  saving: boolean;
  saveError: string | null;
  /** The user tried to save an invalid draft: show every problem, touched or not. */
  saveAttempted: boolean;
  configError: string | null;
  /** The rule just deleted, where it was, for "Undo". */
  deleted: { rule: Rule; index: number; key: number } | null;
  /** The key of a rule just added: its form takes the focus once, then clears this. */
  focusRuleKey: number | null;
  /** When the last save from this window succeeded, for a few seconds (the "Saved" confirmation). */
  savedAt: number | null;
  loadConfig(): Promise<void>;
  receiveConfig(state: ConfigState): void;
  updateRule(index: number, rule: Rule): void;
  /** Replaces the draft's `cache` section (the cache settings form). */
  updateCache(cache: Config['cache']): void;
  /** Adds a new rule of `kind`, or `preset` as it is, and selects it. */
  addRule(kind: RuleKind, preset?: Rule): void;
  undoDelete(): void;
  focusTaken(): void;
  /** After the user confirmed: the invalid file is written anew with the draft's rules. */
  replaceInvalidFile(): Promise<boolean>;
  duplicateRule(index: number): void;
  deleteRule(index: number): void;
  moveRule(from: number, to: number): void;
  selectRule(index: number): void;
  revert(): void;
  save(): Promise<boolean>;
  reloadIncoming(): void;
  overwriteIncoming(): Promise<boolean>;
}

/** Whether the draft differs from what main runs. */
export const selectDirty = (s: AppState): boolean =>
  s.draft !== null && s.saved !== null && !sameData(s.draft, s.saved.config);

/** How long "Saved" shows after a save. */
const SAVED_NOTICE_MS = 4000;

export const createConfigSlice: StateCreator<AppState, [], [], ConfigSlice> = (set, get) => {
  const announceSaved = (): void => {
    const at = Date.now();
    set({ savedAt: at });
    setTimeout(() => {
      if (get().savedAt === at) set({ savedAt: null });
    }, SAVED_NOTICE_MS);
  };

  const editRules = (rules: Rule[], ruleKeys: number[], selectedRule: number): void => {
    const draft = get().draft;
    if (!draft) return;
    set({ draft: { ...draft, rules }, ruleKeys, selectedRule, saveError: null, deleted: null, savedAt: null });
  };

  const adopt = (state: ConfigState): void => {
    const keepKeys = get().ruleKeys.length === state.config.rules.length;
    set((s) => ({
      saved: state,
      draft: cloneConfig(state.config),
      ruleKeys: keepKeys ? s.ruleKeys : freshKeys(state.config.rules.length),
      selectedRule: Math.min(s.selectedRule, Math.max(0, state.config.rules.length - 1)),
      incoming: null,
      saveError: null,
      saveAttempted: false,
      deleted: null,
    }));
  };

  /** Sends a write to main; on success the written config becomes saved and draft alike. */
  const commit = async (write: () => Promise<Result<ConfigState>>): Promise<boolean> => {
    set({ saving: true, saveError: null });
    const result = await write();
    set({ saving: false });
    if (!result.ok) {
      set({ saveError: result.error });
      return false;
    }
    adopt(result.value);
    announceSaved();
    return true;
  };

  const saveAgainst = async (baseRevision: number): Promise<boolean> => {
    const { draft } = get();
    if (!draft) return false;
    if (draftIssues(draft).length > 0) {
      set({ saveAttempted: true });
      return false;
    }
    return commit(() => invoke('config.save', { config: draft, baseRevision }));
  };

  return {
    saved: null,
    draft: null,
    ruleKeys: [],
    selectedRule: 0,
    incoming: null,
    saving: false,
    saveError: null,
    saveAttempted: false,
    configError: null,
    deleted: null,
    focusRuleKey: null,
    savedAt: null,

    loadConfig: async () => {
      const result = await invoke('config.get');
      if (result.ok) get().receiveConfig(result.value);
      else set({ configError: `could not read the config: ${result.error}` });
    },

    receiveConfig: (state) => {
      const s = get();
      set({ configError: null });
      if (!s.saved || !s.draft) return adopt(state);
      if (state.revision <= s.saved.revision) {
        // Same revision, e.g. the file on disk became invalid: keep the draft, show the problem.
        if (state.revision === s.saved.revision) set({ saved: { ...s.saved, ...(state.error ? { error: state.error } : {}) } });
        return;
      }
      if (!selectDirty(s)) return adopt(state);
      if (sameData(state.config.rules, s.saved.config.rules) && sameData(state.config.cache, s.saved.config.cache)) {
        // Only settings the editor does not edit changed (e.g. the master switch): rebase quietly.
        set({ saved: state, draft: { ...cloneConfig(state.config), rules: s.draft.rules, cache: s.draft.cache } });
        return;
      }
      set({ incoming: state });
    },

    updateRule: (index, rule) => {
      const { draft, ruleKeys } = get();
      if (draft) editRules(replaced(draft.rules, index, rule), ruleKeys, index);
    },
    updateCache: (cache) => {
      const { draft } = get();
      if (draft) set({ draft: { ...draft, cache }, saveError: null });
    },
    addRule: (kind, preset) => {
      const { draft, ruleKeys } = get();
      if (!draft) return;
      const rule = preset ?? (kind === 'block' ? newBlockRule() : newMirrorRule());
      const key = freshKeys(1)[0]!;
      editRules([...draft.rules, rule], [...ruleKeys, key], draft.rules.length);
      set({ focusRuleKey: key });
    },
    undoDelete: () => {
      const { draft, ruleKeys, deleted } = get();
      if (!draft || !deleted) return;
      const index = Math.min(deleted.index, draft.rules.length);
      editRules(inserted(draft.rules, index, deleted.rule), inserted(ruleKeys, index, deleted.key), index);
    },
    focusTaken: () => set({ focusRuleKey: null }),
    replaceInvalidFile: async () => {
      const { draft } = get();
      if (!draft) return false;
      return commit(() => invoke('config.replaceInvalidFile', { rules: draft.rules }));
    },
    duplicateRule: (index) => {
      const { draft, ruleKeys } = get();
      const rule = draft?.rules[index];
      if (!draft || !rule) return;
      const copy = structuredClone(rule);
      if (copy.name) copy.name = `${copy.name} (copy)`;
      editRules(inserted(draft.rules, index + 1, copy), inserted(ruleKeys, index + 1, freshKeys(1)[0]!), index + 1);
    },
    deleteRule: (index) => {
      const { draft, ruleKeys } = get();
      if (!draft || index >= draft.rules.length) return;
      const deleted = { rule: draft.rules[index]!, index, key: ruleKeys[index]! };
      editRules(removed(draft.rules, index), removed(ruleKeys, index), Math.max(0, Math.min(index, draft.rules.length - 2)));
      set({ deleted });
    },
    moveRule: (from, to) => {
      const { draft, ruleKeys } = get();
      if (!draft || from === to || to < 0 || to >= draft.rules.length) return;
      editRules(moved(draft.rules, from, to), moved(ruleKeys, from, to), to);
    },
    selectRule: (selectedRule) => set({ selectedRule }),
    revert: () => {
      const { saved } = get();
      if (saved) adopt(saved);
    },
    save: async () => {
      const { saved } = get();
      // Nothing changed (Ctrl+S on a clean draft, or a move undone): nothing to write.
      return saved && selectDirty(get()) ? saveAgainst(saved.revision) : false;
    },
    reloadIncoming: () => {
      const { incoming } = get();
      if (incoming) adopt(incoming);
    },
    overwriteIncoming: async () => {
      const { incoming } = get();
      if (!incoming) return false;
      set({ saved: incoming, incoming: null });
      return saveAgainst(incoming.revision);
    },
  };
};
