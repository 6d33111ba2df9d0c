// The virtualised request list: a fixed-height-row grid over the log model's filtered view.
// Follows the tail while the user is at the bottom, holds the rows in view when they scroll
// up (even as old rows are evicted), and moves the selection with the keyboard.
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useRef, type KeyboardEvent, type ReactElement } from 'react';
import type { LogEntry } from '../../shared/log';
import { logModel } from '../logs/log-model';
import { useApp } from '../store/store';
import { ActionBadge, EmptyState, StatusCode } from '../ui/controls';
import { formatBytes, formatClock, formatDuration } from '../ui/format';
import { Icon } from '../ui/icons';

export const ROW_HEIGHT = 26;

const rowKey = (position: number): number => logModel.rowAt(position).seq;
export const rowId = (seq: number): string => `request-${seq}`;

const columns = ['Time', 'Method', 'Endpoint', 'Image', 'Action', 'Status', 'Duration', 'Size'] as const;

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
      <span role="gridcell" className="cell cell-status"><StatusCode status={entry.status} pending={entry.pending} /></span>
      <span role="gridcell" className="cell cell-num">{entry.pending ? '…' : formatDuration(entry.durationMs)}</span>
      <span role="gridcell" className="cell cell-num">{formatBytes(entry.bytesOut)}</span>
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
    <EmptyState title="No requests yet" icon={<Icon name="plug" size={28} />}>
      {listening
        ? <>Point Docker at the proxy and requests show up here as they happen:<pre className="hint">export DOCKER_HOST=unix://{listening}</pre></>
        : 'Requests show up here once the proxy is listening.'}
    </EmptyState>
  );
}

export function RequestList(): ReactElement {
  useApp((s) => s.logRevision);
  const count = useApp((s) => s.logShown);
  const selectedSeq = useApp((s) => s.selectedSeq);
  const select = useApp((s) => s.select);
  const setDetailOpen = useApp((s) => s.setDetailOpen);
  const setFollowing = useApp((s) => s.setFollowing);
  const scrollRef = useRef<HTMLDivElement>(null);

  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    getItemKey: rowKey,
    overscan: 12,
    anchorTo: 'end',
    followOnAppend: true,
    scrollEndThreshold: ROW_HEIGHT / 2,
    paddingStart: ROW_HEIGHT,
    scrollPaddingStart: ROW_HEIGHT,
    useFlushSync: false,
    onChange: (instance) => setFollowing(instance.options.count === 0 || instance.isAtEnd()),
  });

  // A new filter shows a different list: start at its newest rows.
  const epoch = logModel.epoch;
  useEffect(() => {
    if (count > 0) virtualizer.scrollToEnd();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [epoch]);

  const pick = useCallback((seq: number) => {
    select(seq);
    setDetailOpen(true);
    scrollRef.current?.focus({ preventScroll: true });
  }, [select, setDetailOpen]);

  const moveTo = (position: number): void => {
    if (count === 0) return;
    const p = Math.max(0, Math.min(count - 1, position));
    select(logModel.rowAt(p).seq);
    if (p === count - 1) virtualizer.scrollToEnd();
    else virtualizer.scrollToIndex(p, { align: 'auto' });
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
  const activeRendered = selectedSeq !== null && items.some((item) => item.key === selectedSeq);

  return (
    <div className="list-wrap">
      <div ref={scrollRef} className="list" role="grid" aria-label="Requests" aria-rowcount={count + 1}
        aria-activedescendant={activeRendered ? rowId(selectedSeq) : undefined} tabIndex={0} onKeyDown={onKeyDown}>
        <div className="list-sizer" style={{ height: virtualizer.getTotalSize() }}>
          <div role="row" aria-rowindex={1} className="row row-head">
            {columns.map((c) => <span key={c} role="columnheader" className={`cell${c === 'Duration' || c === 'Size' ? ' cell-num' : ''}`}>{c}</span>)}
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
