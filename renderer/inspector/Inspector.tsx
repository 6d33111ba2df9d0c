// The live request inspector: toolbar, the virtualised list with its status line, and the
// detail pane for the selected request beside it, the split between them resizable (pointer or
// arrow keys). Below 900 px the detail covers the list instead (CSS), and the split goes.
import { useRef, type KeyboardEvent, type PointerEvent, type ReactElement } from 'react';
import { DETAIL_MAX, DETAIL_MIN } from '../store/ui-slice';
import { useApp } from '../store/store';
import { formatCount, plural } from '../ui/format';
import { Icon } from '../ui/icons';
import { DetailPane } from './DetailPane';
import { RequestList } from './RequestList';
import { Toolbar } from './Toolbar';

function StatusLine(): ReactElement {
  const held = useApp((s) => s.logHeld);
  const shown = useApp((s) => s.logShown);
  const dropped = useApp((s) => s.logDropped);
  const waiting = useApp((s) => s.logWaiting);
  const paused = useApp((s) => s.paused);
  const following = useApp((s) => s.following);
  const error = useApp((s) => s.logError);
  const setFollowing = useApp((s) => s.setFollowing);
  return (
    <div className="statusline" aria-label="Request log status">
      <span role="status" aria-live="polite" className="statusline-counts">
        {shown === held ? plural(held, 'request') : `${formatCount(shown)} of ${plural(held, 'request')}`}
      </span>
      {dropped > 0 && (
        <span className="statusline-dropped" title="Older requests removed to stay within the log's limit">
          {formatCount(dropped)} dropped
        </span>
      )}
      {paused && <span className="statusline-paused"><Icon name="pause" size={12} /> Paused{waiting > 0 ? ` · ${formatCount(waiting)} new` : ''}</span>}
      {error && <span className="statusline-error" role="alert">{error}</span>}
      <span className="toolbar-spacer" />
      {shown > 0 && (following
        ? <span className="muted following">Following new requests</span>
        : <button type="button" className="link-button" onClick={() => setFollowing(true)}><Icon name="arrowDown" size={12} /> Jump to latest</button>)}
    </div>
  );
}

const KEY_STEP = 24;

function Splitter(): ReactElement {
  const width = useApp((s) => s.detailWidth);
  const setDetailWidth = useApp((s) => s.setDetailWidth);
  const drag = useRef<{ x: number; width: number } | null>(null);
  const onPointerDown = (event: PointerEvent<HTMLDivElement>): void => {
    event.currentTarget.setPointerCapture(event.pointerId);
    drag.current = { x: event.clientX, width };
  };
  const onPointerMove = (event: PointerEvent<HTMLDivElement>): void => {
    // The detail is on the right: dragging left widens it.
    if (drag.current) setDetailWidth(drag.current.width + drag.current.x - event.clientX);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    const next = { ArrowLeft: width + KEY_STEP, ArrowRight: width - KEY_STEP, Home: DETAIL_MAX, End: DETAIL_MIN }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    setDetailWidth(next);
  };
  return (
    <div className="splitter" role="separator" aria-orientation="vertical" aria-label="Resize the request detail"
      aria-controls="request-detail" aria-valuenow={width} aria-valuemin={DETAIL_MIN} aria-valuemax={DETAIL_MAX} tabIndex={0}
      onPointerDown={onPointerDown} onPointerMove={onPointerMove} onPointerUp={() => { drag.current = null; }}
      onPointerCancel={() => { drag.current = null; }} onKeyDown={onKeyDown} />
  );
}

export function Inspector(): ReactElement {
  const detailOpen = useApp((s) => s.detailOpen && s.selectedSeq !== null);
  const detailWidth = useApp((s) => s.detailWidth);
  return (
    <div className={`inspector${detailOpen ? ' with-detail' : ''}`} id="view-inspector" role="tabpanel" aria-labelledby="tab-inspector">
      <Toolbar />
      <div className="inspector-body" style={{ ['--detail-width' as string]: `${detailWidth}px` }}>
        <div className="inspector-list">
          <RequestList />
          <StatusLine />
        </div>
        {detailOpen && <Splitter />}
        {detailOpen && <DetailPane />}
      </div>
    </div>
  );
}
