// The local cache's settings as a form of their own: on/off, image, network, TTL, max size,
// and each registry (cached or not, port, upstream URL, credentials). Every change edits the
// draft's `cache` section at once; problems from the shared schema show under their field.
import { useId, type ReactElement } from 'react';
import { cachedRegistries, defaultCacheRegistries, type CacheSettings } from '#shared/config/cache-schema';
import { useApp } from '../store/store';
import { Switch } from '../ui/controls';
import { Field } from './RuleForm';
import { draftIssues, issueAt, issuesUnder } from './validation';

type OwnEntry = Exclude<CacheSettings['registries'][string], false>;

function RegistryRow({ registry, cache, update }: { registry: string; cache: CacheSettings; update: (next: CacheSettings) => void }): ReactElement {
  const issues = useApp((s) => draftIssues(s.draft));
  const base = useId();
  const own = cache.registries[registry];
  const isDefault = defaultCacheRegistries.some((d) => d.registry === registry);
  const effective = cachedRegistries(cache).find((r) => r.registry === registry);
  const setOwn = (entry: OwnEntry | false | undefined): void => {
    const registries = { ...cache.registries };
    if (entry === undefined) delete registries[registry];
    else registries[registry] = entry;
    update({ ...cache, registries });
  };
  const edit = (patch: Partial<OwnEntry>): void => {
    const next: OwnEntry = { credentials: false, ...(own || {}), ...patch };
    if (next.port === undefined) delete next.port;
    if (next.remote === undefined) delete next.remote;
    setOwn(next);
  };
  const field = `cache.registries.${registry}`;
  const portError = issueAt(issues, `${field}.port`);
  const remoteError = issueAt(issues, `${field}.remote`);
  return (
    <tr className={issuesUnder(issues, field) > 0 ? 'has-error' : undefined}>
      <th scope="row">
        <label className="checkbox">
          <input type="checkbox" checked={own !== false} aria-label={`Cache ${registry}`}
            onChange={(e) => setOwn(e.target.checked ? (isDefault ? undefined : { credentials: false }) : isDefault ? false : undefined)} />
          <code>{registry}</code>
        </label>
      </th>
      <td>
        <input type="number" className="input mono" aria-label={`Port for ${registry}`} disabled={own === false} min={1} max={65535}
          value={own ? own.port ?? '' : effective?.port ?? ''} placeholder={String(effective?.port ?? '')}
          aria-invalid={portError !== undefined} title={portError}
          onChange={(e) => edit({ port: e.target.value === '' ? undefined : Number(e.target.value) })} id={`${base}-port`} />
        {portError && <p className="field-error" role="alert">{portError}</p>}
      </td>
      <td>
        <input type="text" className="input mono" aria-label={`Upstream for ${registry}`} disabled={own === false} spellCheck={false}
          value={own ? own.remote ?? '' : ''} placeholder={effective?.remote ?? `https://${registry}`}
          aria-invalid={remoteError !== undefined} title={remoteError}
          onChange={(e) => edit({ remote: e.target.value === '' ? undefined : e.target.value })} />
        {remoteError && <p className="field-error" role="alert">{remoteError}</p>}
      </td>
      <td>
        <span className="cell-control">
          <input type="checkbox" aria-label={`Use my docker login for ${registry}`} disabled={own === false}
            checked={own ? own.credentials : false} onChange={(e) => edit({ credentials: e.target.checked })} />
        </span>
      </td>
    </tr>
  );
}

export function CacheForm(): ReactElement | null {
  const cache = useApp((s) => s.draft?.cache);
  const issues = useApp((s) => draftIssues(s.draft));
  const updateCache = useApp((s) => s.updateCache);
  const base = useId();
  if (!cache) return null;
  const registries = [...defaultCacheRegistries.map((d) => d.registry), ...Object.keys(cache.registries).filter((r) => !defaultCacheRegistries.some((d) => d.registry === r))];
  const text = (key: 'image' | 'ttl', label: string, hint: string) => (
    <Field label={label} id={`${base}-${key}`} error={issueAt(issues, `cache.${key}`)} hint={hint}>
      <input id={`${base}-${key}`} type="text" className="input mono" spellCheck={false} value={cache[key]}
        onChange={(e) => updateCache({ ...cache, [key]: e.target.value })} />
    </Field>
  );
  return (
    <section className="cache-form" aria-label="Local cache settings">
      <div className="pane-head">
        <h2>Local cache</h2>
        <Switch label="Cache pulls locally" checked={cache.enabled} onChange={(on) => updateCache({ ...cache, enabled: on })} />
      </div>
      <p className="muted small">
        One Distribution pull-through cache per registry on your engine, started by the first pull that needs it.
        Explicit rules always win; a pull falls back to the original registry when its cache cannot be used.
      </p>
      {text('image', 'Image', 'Any image running Distribution 2.8+ with registry:2’s layout.')}
      <Field label="Network" id={`${base}-network`} error={issueAt(issues, 'cache.network')} hint="bridge publishes 127.0.0.1:PORT; host listens on 127.0.0.1:PORT in the host network.">
        <select className="input" id={`${base}-network`} value={cache.network} onChange={(e) => updateCache({ ...cache, network: e.target.value as CacheSettings['network'] })}>
          <option value="bridge">bridge</option>
          <option value="host">host</option>
        </select>
      </Field>
      {text('ttl', 'Time to live', 'How long Distribution keeps an image it proxied, such as 168h.')}
      <Field label="Maximum size" id={`${base}-maxSize`} error={issueAt(issues, 'cache.maxSize')} hint="All caches together; the least recently pulled repositories go first.">
        <input id={`${base}-maxSize`} type="text" className="input mono" spellCheck={false} value={String(cache.maxSize)}
          onChange={(e) => updateCache({ ...cache, maxSize: e.target.value })} />
      </Field>
      <table className="cache-registries" aria-label="Cached registries">
        <thead><tr><th scope="col">Registry</th><th scope="col">Port</th><th scope="col">Upstream</th><th scope="col">Login</th></tr></thead>
        <tbody>
          {registries.map((registry) => <RegistryRow key={registry} registry={registry} cache={cache} update={updateCache} />)}
        </tbody>
      </table>
      <p className="muted small">“Login” passes your docker login for that registry to its cache container, where anyone who can use the engine can read it.</p>
    </section>
  );
}
