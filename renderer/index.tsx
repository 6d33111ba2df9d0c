// The renderer's entry: subscribe once to main's pushed events, load status, config and the
// log history, then mount the app. Outside the app (no bridge) it says so instead.
import { createRoot } from 'react-dom/client';
import { bridge, on } from './api';
import { App } from './app/App';
import { logFeed } from './store/logs-slice';
import { useApp } from './store/store';
import { EmptyState } from './ui/controls';
import './styles.css';

const root = createRoot(document.getElementById('root')!);

if (!bridge()) {
  root.render(
    <EmptyState title="Not connected to docker-caching">
      This page is the docker-caching window and only works inside the app.
    </EmptyState>,
  );
} else {
  const app = useApp.getState();
  on('logs.batch', (batch) => logFeed.receive(batch.entries));
  on('logs.cleared', () => logFeed.cleared());
  on('config.changed', (state) => useApp.getState().receiveConfig(state));
  on('status.changed', (status) => useApp.getState().receiveStatus(status));
  on('view.show', (view) => useApp.getState().showView(view));
  void app.loadStatus();
  void app.loadConfig();
  void logFeed.start();
  root.render(<App />);
}
