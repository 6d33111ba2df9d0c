// The live request inspector: toolbar, the virtualised list with its status line, and the
// detail pane for the selected request.
import type { ReactElement } from 'react';
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

export function Inspector(): ReactElement {
  const detailOpen = useApp((s) => s.detailOpen && s.selectedSeq !== null);
  return (
    <div className={`inspector${detailOpen ? ' with-detail' : ''}`} id="view-inspector" role="tabpanel" aria-labelledby="tab-inspector">
      <Toolbar />
      <div className="inspector-body">
        <div className="inspector-list">
          <RequestList />
          <StatusLine />
        </div>
        {detailOpen && <DetailPane />}
      </div>
    </div>
  );
}
