// A stand-in renderer for the bridge test: uses window.dockerCaching the way the real one
// does and records everything main pushes, for the test to read back.
const api = window.dockerCaching;
const seen = { batches: [], cleared: 0, status: [], config: [], views: [], rows: new Map() };
window.seen = seen;
window.moduleScriptRan = true;

const render = () => {
  document.getElementById('rows').textContent = String(seen.rows.size);
};
document.getElementById('view').textContent = location.hash.slice(1);

api.on('logs.batch', (batch) => {
  seen.batches.push(batch.entries.map((entry) => entry.seq));
  for (const entry of batch.entries) seen.rows.set(entry.seq, entry);
  render();
});
api.on('logs.cleared', () => {
  seen.cleared++;
  seen.rows.clear();
  render();
});
api.on('status.changed', (status) => seen.status.push(status));
api.on('config.changed', (state) => seen.config.push(state));
api.on('view.show', (view) => {
  seen.views.push(view);
  document.getElementById('view').textContent = view;
});

const status = await api.invoke('status.get');
document.getElementById('listening').textContent = status.ok ? status.value.listening : status.error;
