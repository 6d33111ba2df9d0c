// The virtualised request list: a fixed-height-row grid over the log model's filtered view.
// Follows the tail while the user is at the bottom, holds the rows in view when they scroll
// up (even as old rows are evicted), and moves the selection with the keyboard.
// Placement is done here, once per flush, rather than by the virtualizer's end anchoring:
// that costs two passes over every row per update, which 100,000 rows make too slow.
import { defaultRangeExtractor, useVirtualizer, type Range } from '@tanstack/react-virtual';
import { memo, useCallback, useLayoutEffect, useRef, type KeyboardEvent, type ReactElement } from 'react';
import type { LogEntry } from '#shared/log';
import { logModel } from '../logs/log-model';
import { useApp } from '../store/store';
import { FirstRun } from '../app/FirstRun';
import { ActionBadge, EmptyState, StatusCode } from '../ui/controls';
import { formatClock, formatDuration } from '../ui/format';
import { Icon } from '../ui/icons';
import { cacheVerdict, cameFrom, cameFromSource, sizeText } from './pull-outcome';

const ROW_HEIGHT = 26;
const OVERSCAN = 12;

const rowId = (seq: number): string => `request-${seq}`;

const columns = ['Time', 'Method', 'Endpoint', 'Image', 'Action', 'Came from / reason', 'Status', 'Duration', 'Size'] as const;
const columnTitles: Partial<Record<(typeof columns)[number], string>> = {
  Size: 'Pulls: the image bytes the engine downloaded. Other requests: the response size.',
  'Came from / reason': 'Where a pull\'s image came from, or why it did not',
};

/**
 * Where the image came from; a cache verdict (", hit" / ", miss") is kept whole at the end while
 * the words before it give way to an ellipsis, so a narrow column still tells hit from miss.
 */
function ReasonCell({ entry }: { entry: LogEntry }): ReactElement {
  const verdict = cacheVerdict(entry);
  const source = cameFromSource(entry);
  return (
    <span role="gridcell" className={`cell cell-reason${entry.action === 'failed' ? ' cell-reason-bad' : ''}`} title={cameFrom(entry)}>
      {verdict ? <><span className="reason-source">{source}</span><span>, {verdict}</span></> : source}
    </span>
  );
}

const Row = memo(function Row({ entry, position, top, selected, onPick }: {
  entry: LogEntry;
  position: number;
  top: number;
  selected: boolean;
  onPick: (seq: number) => void;
}): ReactElement {
  return (
    <div role="row" id={rowId(entry.seq)} aria-rowindex={position + 2} aria-selected={selected} data-seq={entry.seq}
      className={`row${selected ? ' row-selected' : ''}${entry.action === 'failed' || entry.action === 'blocked' ? ' row-bad' : ''}`}
      style={{ transform: `translateY(${top}px)` }} onClick={() => onPick(entry.seq)}>
      <span role="gridcell" className="cell cell-time">{formatClock(entry.time)}</span>
      <span role="gridcell" className={`cell method method-${entry.method.toLowerCase()}`}>{entry.method}</span>
      <span role="gridcell" className="cell cell-route" title={entry.path}>{entry.route}{entry.upgraded ? ' ⇅' : ''}</span>
      <span role="gridcell" className="cell cell-image" title={entry.image}>{entry.image ?? ''}</span>
      <span role="gridcell" className="cell cell-action"><ActionBadge action={entry.action} /></span>
      <ReasonCell entry={entry} />
      <span role="gridcell" className="cell cell-status"><StatusCode status={entry.status} pending={entry.pending} /></span>
      <span role="gridcell" className="cell cell-num">{entry.pending ? '…' : formatDuration(entry.durationMs)}</span>
      <span role="gridcell" className="cell cell-num">{sizeText(entry)}</span>
    </div>
  );
});

function ListEmpty(): ReactElement {
  const held = useApp((s) => s.logHeld);
  const listening = useApp((s) => s.status?.listening ?? null);
  const resetFilter = useApp((s) => s.resetFilter);
  if (held > 0) {
    return (
      <EmptyState title="No requests match these filters" icon={<Icon name="filter" size={28} />}>
        <button type="button" className="button" onClick={resetFilter}>Clear filters</button>
      </EmptyState>
    );
  }
  return (
    <div className="list-first-run">
      <p className="empty-title">No requests yet</p>
      <p className="muted">{listening ? 'Docker commands that go through docker-caching show up here as they happen.' : 'Requests show up here once docker-caching is listening.'}</p>
      <FirstRun />
    </div>
  );
}

/**
 * The rows to render, for where the list will be once the layout effect has placed it (at
 * the end, or `shift` rows up), so no frame shows the gap before the virtualizer catches up.
 */
function rangeFor(range: Range, following: boolean, shift: number): number[] {
  if (range.count === 0) return [];
  if (!following && shift === 0) return defaultRangeExtractor(range);
  const last = range.count - 1;
  const span = range.endIndex - range.startIndex + 2 * OVERSCAN;
  const end = following ? last : Math.min(last, Math.max(span, range.endIndex - shift + OVERSCAN));
  const out: number[] = [];
  for (let i = Math.max(0, end - span); i <= end; i++) out.push(i);
  return out;
}

/** Where a scrolled-up list was when the inspector was last hidden (switching to the rules). */
let savedScrollTop = 0;

export function RequestList(): ReactElement {
  const revision = useApp((s) => s.logRevision);
  const count = useApp((s) => s.logShown);
  const following = useApp((s) => s.following);
  const selectedSeq = useApp((s) => s.selectedSeq);
  const select = useApp((s) => s.select);
  const setDetailOpen = useApp((s) => s.setDetailOpen);
  const setFollowing = useApp((s) => s.setFollowing);
  const scrollRef = useRef<HTMLDivElement>(null);

  // Where the list was last placed. Rows evicted from the front since then move a
  // scrolled-up list up by as many rows, so the requests the user reads stay put.
  const placed = useRef({ revision: -1, epoch: logModel.epoch, frontDropped: logModel.frontDropped, following });
  const shift = !following && placed.current.epoch === logModel.epoch ? logModel.frontDropped - placed.current.frontDropped : 0;
  const rangeExtractor = useCallback((range: Range) => rangeFor(range, following, shift), [following, shift]);

  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: OVERSCAN,
    paddingStart: ROW_HEIGHT,
    scrollPaddingStart: ROW_HEIGHT,
    rangeExtractor,
    useFlushSync: false,
  });

  useLayoutEffect(() => {
    const el = scrollRef.current;
    const last = placed.current;
    if (el && (last.revision !== revision || last.following !== following)) {
      if (following) el.scrollTop = virtualizer.getTotalSize();
      else if (shift > 0) el.scrollTop = Math.max(0, el.scrollTop - shift * ROW_HEIGHT);
    }
    placed.current = { revision, epoch: logModel.epoch, frontDropped: logModel.frontDropped, following };
  });

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    if (!useApp.getState().following) el.scrollTop = savedScrollTop;
    return () => { savedScrollTop = el.scrollTop; };
  }, []);

  // A new filter shows a different list: keep the selected request in view, or follow the newest.
  const epoch = logModel.epoch;
  const firstEpoch = useRef(epoch);
  useLayoutEffect(() => {
    if (epoch === firstEpoch.current) return;
    const position = selectedSeq === null ? -1 : logModel.positionOfSeq(selectedSeq);
    if (position < 0) {
      setFollowing(true);
    } else {
      setFollowing(false);
      virtualizer.scrollToIndex(position, { align: 'center' });
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps -- runs once per new epoch (a reload or clear), not when the selection or list changes
  }, [epoch]);

  // Following is "the user is at the bottom": decided by where they scroll, never by a timer.
  const onScroll = (): void => {
    const el = scrollRef.current;
    if (el) setFollowing(el.scrollHeight - el.scrollTop - el.clientHeight <= ROW_HEIGHT / 2);
  };

  const pick = useCallback((seq: number) => {
    select(seq);
    setDetailOpen(true);
    scrollRef.current?.focus({ preventScroll: true });
  }, [select, setDetailOpen]);

  const moveTo = (position: number): void => {
    if (count === 0) return;
    const p = Math.max(0, Math.min(count - 1, position));
    select(logModel.rowAt(p).seq);
    setFollowing(p === count - 1);
    if (p < count - 1) virtualizer.scrollToIndex(p, { align: 'auto' });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    const current = selectedSeq === null ? -1 : logModel.positionOfSeq(selectedSeq);
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? ROW_HEIGHT) / ROW_HEIGHT) - 2);
    const keys: Record<string, () => void> = {
      ArrowDown: () => moveTo(current < 0 ? 0 : current + 1),
      ArrowUp: () => moveTo(current < 0 ? count - 1 : current - 1),
      PageDown: () => moveTo(current < 0 ? page : current + page),
      PageUp: () => moveTo(current < 0 ? count - 1 - page : current - page),
      Home: () => moveTo(0),
      End: () => moveTo(count - 1),
      Enter: () => { if (selectedSeq !== null) setDetailOpen(true); },
      Escape: () => setDetailOpen(false),
    };
    const action = keys[event.key];
    if (action && !event.altKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      action();
    }
  };

  const items = virtualizer.getVirtualItems();
  const activeRendered = selectedSeq !== null && items.some((item) => logModel.rowAt(item.index).seq === selectedSeq);

  return (
    <div className="list-wrap">
      <div ref={scrollRef} className="list" role="grid" aria-label="Requests" aria-rowcount={count + 1} data-skip-target
        aria-activedescendant={activeRendered ? rowId(selectedSeq) : undefined} tabIndex={0} onKeyDown={onKeyDown} onScroll={onScroll}>
        <div className="list-sizer" style={{ height: virtualizer.getTotalSize() }}>
          <div role="row" aria-rowindex={1} className="row row-head">
            {columns.map((c) => <span key={c} role="columnheader" title={columnTitles[c]} className={`cell${c === 'Duration' || c === 'Size' ? ' cell-num' : ''}`}>{c}</span>)}
          </div>
          {items.map((item) => {
            const entry = logModel.rowAt(item.index);
            return <Row key={item.key} entry={entry} position={item.index} top={item.start} selected={entry.seq === selectedSeq} onPick={pick} />;
          })}
        </div>
      </div>
      {count === 0 && <div className="list-empty"><ListEmpty /></div>}
    </div>
  );
}
