// The inspector's reactive state: counters mirrored from the non-reactive log model (bumped
// once per flush through `logRevision`), the filter, follow/pause and the selection. Rows
// themselves never enter the store.
import type { StateCreator } from 'zustand';
import { emptyLogFilter, type LogFilter } from '#shared/log-filter';
import { invoke } from '../api';
import { LogFeed } from '../logs/log-feed';
import { logModel } from '../logs/log-model';
import type { AppState } from './store';

export const logFeed = new LogFeed(logModel, () => invoke('logs.snapshot', { limit: logModel.buffer.capacity }));

export interface LogsSlice {
  /** Bumped whenever the log model changed; components that draw rows subscribe to it. */
  logRevision: number;
  logHeld: number;
  logShown: number;
  logDropped: number;
  /** A pull went through the proxy (ticks the first-run checklist). */
  logPullSeen: boolean;
  /** Requests announced while paused, not shown yet. */
  logWaiting: number;
  logError: string | null;
  paused: boolean;
  following: boolean;
  selectedSeq: number | null;
  detailOpen: boolean;
  filter: LogFilter;
  logsChanged(): void;
  setFilter(patch: Partial<LogFilter>): void;
  resetFilter(): void;
  setPaused(paused: boolean): void;
  clearLogs(): Promise<void>;
  setFollowing(following: boolean): void;
  select(seq: number | null): void;
  setDetailOpen(open: boolean): void;
}

export const createLogsSlice: StateCreator<AppState, [], [], LogsSlice> = (set, get) => {
  const changed = (): void => set((s) => ({
    logRevision: s.logRevision + 1,
    logHeld: logModel.buffer.length,
    logShown: logModel.view.length,
    logDropped: logModel.dropped,
    logPullSeen: logModel.pullSeen,
    logWaiting: logFeed.paused ? logFeed.waiting : 0,
    logError: logFeed.error,
    paused: logFeed.paused,
  }));
  logFeed.onChange = changed;

  const applyFilter = (filter: LogFilter): void => {
    logModel.setFilter(filter);
    set({ filter });
    changed();
  };

  return {
    logRevision: 0,
    logHeld: 0,
    logShown: 0,
    logDropped: 0,
    logPullSeen: false,
    logWaiting: 0,
    logError: null,
    paused: false,
    following: true,
    selectedSeq: null,
    detailOpen: false,
    filter: emptyLogFilter,
    logsChanged: changed,
    setFilter: (patch) => applyFilter({ ...get().filter, ...patch }),
    resetFilter: () => applyFilter(emptyLogFilter),
    setPaused: (paused) => logFeed.setPaused(paused),
    clearLogs: async () => {
      logFeed.cleared();
      set({ selectedSeq: null, detailOpen: false, following: true });
      const result = await invoke('logs.clear');
      if (!result.ok) set({ logError: `could not clear the log in the engine: ${result.error}` });
    },
    setFollowing: (following) => { if (get().following !== following) set({ following }); },
    select: (seq) => set({ selectedSeq: seq }),
    setDetailOpen: (detailOpen) => set({ detailOpen }),
  };
};
