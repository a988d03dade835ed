/// <reference lib="dom" />
/**
 * The dashboard's single-page app (preact + htm, uPlot for line charts, hand-written SVG for the
 * parallel coordinates). Bundled by `scripts/build-dashboard.mjs` into `dist/dashboard/assets/`.
 *
 * Everything from the store is rendered as text: htm/preact create text nodes for interpolated
 * values, uPlot sets labels with `textContent`, and nothing here uses `innerHTML` or
 * `dangerouslySetInnerHTML`. Artifact paths are shown, never linked.
 * @module
 */
import { html } from 'htm/preact';
import { render, type VNode } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './app.css';
import type { StudyDetail, StudyListItem, TrialItem } from '../../tracker/studies.js';

// ---------------------------------------------------------------------------------------------------
// API access

const TOKEN_KEY = 'ato-dashboard-token';
{
  const fromUrl = new URLSearchParams(location.search).get('token');
  if (fromUrl) sessionStorage.setItem(TOKEN_KEY, fromUrl);
}

async function api<T>(path: string): Promise<T> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const response = await fetch(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  const body = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `${response.status} ${response.statusText}`);
  return body;
}

/** Fetch `path` (again whenever it changes, and every `refreshMs` while given). */
function useApi<T>(path: string | undefined, refreshMs?: number) {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  useEffect(() => {
    if (!path) return;
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = () =>
      api<T>(path).then(
        (data) => {
          if (!alive) return;
          setState({ data, loading: false });
          if (refreshMs) timer = setTimeout(load, refreshMs);
        },
        (error: Error) => alive && setState({ error: error.message, loading: false }),
      );
    setState((s) => ({ ...s, loading: true }));
    void load();
    return () => {
      alive = false;
      if (timer) clearTimeout(timer);
    };
  }, [path, refreshMs]);
  return state;
}

// ---------------------------------------------------------------------------------------------------
// Routing: #/runs?…, #/run/12, #/compare?runs=1,2, #/search/<study>, #/code/<traceId>

interface Route {
  page: string;
  arg: string | undefined;
  query: URLSearchParams;
}

function parseRoute(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path = '', search = ''] = hash.split('?');
  const [page = 'runs', ...rest] = path.split('/');
  return {
    page: page || 'runs',
    arg: rest.length ? decodeURIComponent(rest.join('/')) : undefined,
    query: new URLSearchParams(search),
  };
}

function useRoute(): Route {
  const [route, setRoute] = useState(parseRoute);
  useEffect(() => {
    const update = () => setRoute(parseRoute());
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

const go = (hash: string) => {
  location.hash = hash;
};

// ---------------------------------------------------------------------------------------------------
// Formatting

const text = (v: unknown): string =>
  v === undefined ? '—' : v === null ? 'null' : typeof v === 'string' ? v : JSON.stringify(v);
const num = (v: number | null | undefined): string =>
  v === null || v === undefined ? '—' : Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(5)));
const when = (iso: string | undefined) => (iso ? iso.replace('T', ' ').slice(0, 19) : '—');
function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}
function bytes(n: number | undefined): string {
  if (n === undefined || n === null) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
const short = (hash: string | undefined | null) => (hash ? hash.slice(0, 12) : '(none)');

const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
  '#7f7f7f',
];
const color = (i: number) => COLORS[i % COLORS.length]!;

// ---------------------------------------------------------------------------------------------------
// Types of the API's answers (see ../api.ts)

interface RunItem {
  id: number;
  project: string;
  status: string;
  tags: string[];
  startedAt: string;
  endedAt?: string;
  durationMs: number;
  error?: string;
  metrics: Record<string, number>;
}
interface RunsAnswer {
  total: number;
  offset: number;
  limit: number;
  runs: RunItem[];
  metricKeys: string[];
  projects: string[];
  tags: string[];
}
interface SeriesData {
  x: number[];
  y: (number | null)[];
  total: number;
}
type RunSeries = Record<string, SeriesData>;

// ---------------------------------------------------------------------------------------------------
// Shared pieces

function Status({ status }: { status: string }) {
  return html`<span class=${`status status-${status}`}>${status}</span>`;
}

function Tags({ tags }: { tags: string[] }) {
  return html`<span class="tags">${tags.map((t) => html`<span class="tag" key=${t}>${t}</span>`)}</span>`;
}

function Problem({ error }: { error: string }) {
  return html`<p class="error" role="alert">${error}</p>`;
}

/** A uPlot line chart of several series over steps; `series[i]` is drawn in `color(i)`. */
function LineChart({
  title,
  series,
  labels,
  height = 220,
}: {
  title: string;
  series: (SeriesData | undefined)[];
  labels: string[];
  height?: number;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const present = series.map((s, i) => ({ s, i })).filter((p): p is { s: SeriesData; i: number } => !!p.s);
    if (present.length === 0) return;
    const tables = present.map(({ s }) => [s.x, s.y] as uPlot.AlignedData);
    const data = tables.length === 1 ? tables[0]! : uPlot.join(tables);
    const width = Math.max(300, el.clientWidth || 600);
    const chart = new uPlot(
      {
        title,
        width,
        height,
        scales: { x: { time: false } },
        axes: [{ label: 'step' }, {}],
        legend: { live: true },
        series: [
          { label: 'step' },
          ...present.map(({ i }) => ({
            label: labels[i] ?? `series ${i}`,
            stroke: color(i),
            width: 1.5,
            spanGaps: true,
            points: { show: false },
          })),
        ],
      },
      data,
      el,
    );
    return () => chart.destroy();
  }, [title, series, labels, height]);
  return html`<div class="chart" ref=${ref} data-testid="chart"></div>`;
}

/** A nested config as a tree of keys and text values. */
function ConfigTree({ value }: { value: unknown }): VNode {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return html`<span class="value">{}</span>`;
    return html`<ul class="tree">
      ${entries.map(
        ([k, v]) =>
          html`<li key=${k}>
            ${
              v !== null && typeof v === 'object' && !Array.isArray(v)
                ? html`<details open><summary class="key">${k}</summary><${ConfigTree} value=${v} /></details>`
                : html`<span class="key">${k}</span>: <span class="value">${text(v)}</span>`
            }
          </li>`,
      )}
    </ul>`;
  }
  return html`<span class="value">${text(value)}</span>`;
}

function KeyValues({ data }: { data: Record<string, unknown> | undefined }) {
  const entries = Object.entries(data ?? {});
  if (entries.length === 0) return html`<p class="muted">none recorded</p>`;
  return html`<table class="kv">
    <tbody>
      ${entries.map(([k, v]) => html`<tr key=${k}><th>${k}</th><td>${text(v)}</td></tr>`)}
    </tbody>
  </table>`;
}

// ---------------------------------------------------------------------------------------------------
// Runs

const PAGE = 50;

function RunsPage({ query }: { query: URLSearchParams }) {
  const [selected, setSelected] = useState<number[]>([]);
  const project = query.get('project') ?? '';
  const status = query.get('status') ?? '';
  const tag = query.get('tag') ?? '';
  const where = query.get('where') ?? '';
  const sort = query.get('sort') ?? 'started';
  const order = query.get('order') ?? 'desc';
  const offset = Number(query.get('offset') ?? 0) || 0;

  const apiQuery = new URLSearchParams();
  if (project) apiQuery.set('project', project);
  if (status) apiQuery.set('status', status);
  for (const t of tag.split(',').map((s) => s.trim())) if (t) apiQuery.append('tag', t);
  for (const w of where.split(/[,;]/).map((s) => s.trim())) if (w) apiQuery.append('where', w);
  apiQuery.set('sort', sort);
  apiQuery.set('order', order);
  apiQuery.set('offset', String(offset));
  apiQuery.set('limit', String(PAGE));
  const { data, error, loading } = useApi<RunsAnswer>(`api/runs?${apiQuery}`);

  const navigate = (changes: Record<string, string>) => {
    const next = new URLSearchParams(query);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (!('offset' in changes)) next.delete('offset');
    go(`#/runs?${next}`);
  };
  const onFilter = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    navigate({
      project: String(form.get('project') ?? ''),
      status: String(form.get('status') ?? ''),
      tag: String(form.get('tag') ?? ''),
      where: String(form.get('where') ?? ''),
    });
  };
  const sortBy = (key: string) =>
    navigate({ sort: key, order: sort === key && order === 'desc' ? 'asc' : 'desc' });
  const toggle = (id: number) =>
    setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));
  const header = (key: string, label: string) =>
    html`<th class="sortable" onClick=${() => sortBy(key)} data-sort=${key}>
      ${label}${sort === key ? (order === 'asc' ? ' ▲' : ' ▼') : ''}
    </th>`;
  const metricKeys = data?.metricKeys.slice(0, 6) ?? [];

  return html`<section>
    <h1>Runs</h1>
    <form class="filters" onSubmit=${onFilter} data-testid="filters">
      <label>Project
        <select name="project" value=${project}>
          <option value="">all</option>
          ${(data?.projects ?? (project ? [project] : [])).map((p) => html`<option key=${p} value=${p}>${p}</option>`)}
        </select>
      </label>
      <label>Status
        <select name="status" value=${status}>
          <option value="">all</option>
          ${['running', 'completed', 'failed', 'interrupted', 'crashed'].map(
            (s) => html`<option key=${s} value=${s}>${s}</option>`,
          )}
        </select>
      </label>
      <label>Tag <input name="tag" value=${tag} placeholder="tag[,tag]" list="known-tags" /></label>
      <datalist id="known-tags">${(data?.tags ?? []).map((t) => html`<option key=${t} value=${t} />`)}</datalist>
      <label>Config <input name="where" value=${where} placeholder="model.backbone=resnet50" size="28" /></label>
      <button type="submit">Filter</button>
      <button type="button" onClick=${() => go('#/runs')}>Clear</button>
    </form>
    <div class="toolbar">
      <span data-testid="run-count">${data ? `${data.total} run${data.total === 1 ? '' : 's'}` : ''}</span>
      <button
        type="button"
        data-testid="compare-selected"
        disabled=${selected.length < 2}
        onClick=${() => go(`#/compare?runs=${selected.join(',')}`)}
      >
        Compare selected (${selected.length})
      </button>
      ${loading ? html`<span class="muted">loading…</span>` : null}
    </div>
    ${error ? html`<${Problem} error=${error} />` : null}
    ${
      data
        ? html`<table class="runs" data-testid="runs-table">
            <thead>
              <tr>
                <th></th>
                ${header('id', 'id')} ${header('project', 'project')} ${header('status', 'status')}
                <th>tags</th>
                ${header('started', 'started')} ${header('duration', 'duration')}
                ${metricKeys.map((k) => header(`metric.${k}`, k))}
              </tr>
            </thead>
            <tbody>
              ${data.runs.map(
                (r) => html`<tr key=${r.id} data-run=${r.id}>
                  <td><input type="checkbox" aria-label=${`select run ${r.id}`} checked=${selected.includes(r.id)} onChange=${() => toggle(r.id)} /></td>
                  <td><a href=${`#/run/${r.id}`}>${r.id}</a></td>
                  <td>${r.project}</td>
                  <td><${Status} status=${r.status} /></td>
                  <td><${Tags} tags=${r.tags} /></td>
                  <td>${when(r.startedAt)}</td>
                  <td>${duration(r.durationMs)}</td>
                  ${metricKeys.map((k) => html`<td class="num" key=${k}>${num(r.metrics[k])}</td>`)}
                </tr>`,
              )}
            </tbody>
          </table>
          <div class="pager">
            <button type="button" disabled=${offset === 0} onClick=${() => navigate({ offset: String(Math.max(0, offset - PAGE)) })}>‹ previous</button>
            <span>${data.total ? `${offset + 1}–${Math.min(data.total, offset + PAGE)} of ${data.total}` : 'no runs match'}</span>
            <button type="button" disabled=${offset + PAGE >= data.total} onClick=${() => navigate({ offset: String(offset + PAGE) })}>next ›</button>
          </div>`
        : null
    }
  </section>`;
}

// ---------------------------------------------------------------------------------------------------
// Run

interface RunAnswer {
  id: number;
  uid: string;
  project: string;
  status: string;
  config: unknown;
  structuralHash: string;
  tags: string[];
  startedAt: string;
  endedAt?: string;
  durationMs: number;
  error?: string;
  environment?: Record<string, unknown>;
  fingerprints: Record<string, { type: string; hash: string }>;
  metrics: Record<string, { count: number; min: number; max: number; last: number; lastStep: number }>;
  series: RunSeries;
  artifacts: {
    id: number;
    path: string;
    dataType?: string;
    sha256?: string;
    size?: number;
    loggedAt: string;
  }[];
  fingerprintHistory: { traceId: string; type: string; hash: string; recordedAt: string }[];
}

function RunPage({ id }: { id: string }) {
  const [live, setLive] = useState(false);
  const { data, error } = useApi<RunAnswer>(`api/runs/${encodeURIComponent(id)}`, live ? 2000 : undefined);
  useEffect(() => setLive(data?.status === 'running'), [data?.status]);
  if (error) return html`<${Problem} error=${error} />`;
  if (!data) return html`<p class="muted">loading…</p>`;
  const keys = Object.keys(data.series).sort();
  return html`<section data-testid="run-page">
    <h1>Run ${data.id} <${Status} status=${data.status} /> ${live ? html`<span class="live">live</span>` : null}</h1>
    <p class="meta">
      <span>project <b>${data.project}</b></span>
      <span>started ${when(data.startedAt)}</span>
      <span>duration ${duration(data.durationMs)}</span>
      <span>structure ${short(data.structuralHash)}</span>
      <span>uid ${data.uid}</span>
    </p>
    <p><${Tags} tags=${data.tags} /></p>
    ${data.error ? html`<p class="error">error: ${data.error}</p>` : null}
    <h2>Metrics</h2>
    ${keys.length === 0 ? html`<p class="muted">no metrics logged</p>` : null}
    <div class="charts">
      ${keys.map((k) => {
        const s = data.series[k]!;
        const m = data.metrics[k];
        return html`<div class="chart-box" key=${k}>
          <${LineChart} title=${k} series=${[s]} labels=${[k]} />
          <p class="muted">
            ${s.total} points${s.total > s.x.length ? ` (${s.x.length} drawn)` : ''}; last ${num(m?.last)} at step ${m?.lastStep ?? '—'}, min
            ${num(m?.min)}, max ${num(m?.max)}
          </p>
        </div>`;
      })}
    </div>
    <div class="columns">
      <div>
        <h2>Config</h2>
        <div data-testid="config-tree"><${ConfigTree} value=${data.config} /></div>
      </div>
      <div>
        <h2>Fingerprints</h2>
        <table>
          <thead><tr><th>trace</th><th>type</th><th>hash</th></tr></thead>
          <tbody>
            ${Object.entries(data.fingerprints).map(
              ([trace, f]) => html`<tr key=${trace}>
                <td><a href=${`#/code/${encodeURIComponent(trace)}?project=${encodeURIComponent(data.project)}`}>${trace}</a></td>
                <td>${f.type}</td>
                <td class="hash" title=${f.hash}>${short(f.hash)}</td>
              </tr>`,
            )}
          </tbody>
        </table>
        ${
          data.fingerprintHistory.length > Object.keys(data.fingerprints).length
            ? html`<details><summary>every fingerprint recorded (${data.fingerprintHistory.length})</summary>
                <table><tbody>
                  ${data.fingerprintHistory.map(
                    (f, i) =>
                      html`<tr key=${i}><td>${when(f.recordedAt)}</td><td>${f.traceId}</td><td>${f.type}</td><td class="hash">${short(f.hash)}</td></tr>`,
                  )}
                </tbody></table>
              </details>`
            : null
        }
        <h2>Artifacts</h2>
        ${
          data.artifacts.length === 0
            ? html`<p class="muted">none</p>`
            : html`<table data-testid="artifacts">
                <thead><tr><th>path</th><th>type</th><th>size</th><th>sha256</th><th>logged</th></tr></thead>
                <tbody>
                  ${data.artifacts.map(
                    (a) => html`<tr key=${a.id}>
                      <td class="path">${a.path}</td>
                      <td>${a.dataType ?? '—'}</td>
                      <td class="num">${bytes(a.size)}</td>
                      <td class="hash" title=${a.sha256 ?? ''}>${a.sha256 ? short(a.sha256) : 'no hash'}</td>
                      <td>${when(a.loggedAt)}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>`
        }
        <h2>Environment</h2>
        <${KeyValues} data=${data.environment} />
      </div>
    </div>
  </section>`;
}

// ---------------------------------------------------------------------------------------------------
// Compare

interface Comparison {
  a: number;
  b: number;
  config: {
    changed: { key: string; a: unknown; b: unknown }[];
    added: { key: string; b: unknown }[];
    removed: { key: string; a: unknown }[];
  };
  structure: { sameHash: boolean; typeChanged: { key: string; a: string; b: string }[] };
  code: { traceId: string; a?: string; b?: string }[];
  output: { traceId: string; a?: string; b?: string; sameCode: boolean }[];
  environment: { key: string; a: unknown; b: unknown }[];
  metrics: {
    key: string;
    a?: { last: number; min: number; max: number };
    b?: { last: number; min: number; max: number };
  }[];
  verdict: { summary: string };
}
interface CompareAnswer {
  runs: RunItem[];
  configDiff: { key: string; values: unknown[] }[];
  comparisons: Comparison[];
  series: { id: number; series: RunSeries }[];
  missing: number[];
}

function ComparePage({ query }: { query: URLSearchParams }) {
  const runs = query.get('runs') ?? '';
  const { data, error } = useApi<CompareAnswer>(
    runs ? `api/compare?runs=${encodeURIComponent(runs)}` : undefined,
  );
  const labels = useMemo(() => (data ? data.series.map((s) => `run ${s.id}`) : []), [data]);
  const charts = useMemo(() => {
    if (!data) return [];
    const keys = [...new Set(data.series.flatMap((s) => Object.keys(s.series)))].sort();
    return keys.map((k) => ({ key: k, series: data.series.map((s) => s.series[k]) }));
  }, [data]);
  if (!runs)
    return html`<section><h1>Compare</h1><p>Select two runs or more on the <a href="#/runs">Runs</a> page.</p></section>`;
  if (error) return html`<${Problem} error=${error} />`;
  if (!data) return html`<p class="muted">loading…</p>`;
  const fmt = (m?: { last: number; min: number; max: number }) =>
    m ? `${num(m.last)} [${num(m.min)}, ${num(m.max)}]` : '—';
  return html`<section data-testid="compare-page">
    <h1>Compare ${data.runs.length} runs</h1>
    ${data.missing.length ? html`<p class="error">not in the store: ${data.missing.join(', ')}</p>` : null}
    <p class="legend">
      ${data.runs.map(
        (r, i) =>
          html`<a key=${r.id} href=${`#/run/${r.id}`} class="swatch" style=${{ borderColor: color(i) }}>run ${r.id} (${r.project}, ${r.status})</a>`,
      )}
    </p>
    ${data.comparisons.map(
      (c) =>
        html`<p class="verdict" key=${c.b} data-testid="verdict">run ${c.a} → run ${c.b}: <b>${c.verdict.summary}</b></p>`,
    )}
    <h2>Metrics</h2>
    <div class="charts">
      ${charts.map((c) => html`<div class="chart-box" key=${c.key}><${LineChart} title=${c.key} series=${c.series} labels=${labels} /></div>`)}
    </div>
    <h2>Config values that differ</h2>
    ${
      data.configDiff.length === 0
        ? html`<p class="muted">identical configs</p>`
        : html`<table data-testid="config-diff">
            <thead><tr><th>key</th>${data.runs.map((r) => html`<th key=${r.id}>run ${r.id}</th>`)}</tr></thead>
            <tbody>
              ${data.configDiff.map(
                (d) =>
                  html`<tr key=${d.key}><th>${d.key}</th>${d.values.map((v, i) => html`<td key=${i}>${text(v)}</td>`)}</tr>`,
              )}
            </tbody>
          </table>`
    }
    ${data.comparisons.map(
      (c) => html`<div class="comparison" key=${c.b}>
        <h2>run ${c.a} → run ${c.b}</h2>
        <h3>Structure</h3>
        ${
          c.structure.sameHash
            ? html`<p class="muted">same keys and types</p>`
            : html`<ul>
                ${c.config.added.map((d) => html`<li key=${`+${d.key}`}>+ ${d.key} = ${text(d.b)}</li>`)}
                ${c.config.removed.map((d) => html`<li key=${`-${d.key}`}>− ${d.key} (was ${text(d.a)})</li>`)}
                ${c.structure.typeChanged.map((d) => html`<li key=${`~${d.key}`}>~ ${d.key}: ${d.a} → ${d.b}</li>`)}
              </ul>`
        }
        <h3>Code (static fingerprints)</h3>
        ${
          c.code.length === 0
            ? html`<p class="muted">same</p>`
            : html`<table data-testid="code-diff"><tbody>${c.code.map(
                (d) =>
                  html`<tr key=${d.traceId}><th>${d.traceId}</th><td class="hash">${short(d.a)}</td><td>→</td><td class="hash">${short(d.b)}</td></tr>`,
              )}</tbody></table>`
        }
        <h3>Output (runtime fingerprints)</h3>
        ${
          c.output.length === 0
            ? html`<p class="muted">same</p>`
            : html`<table><tbody>${c.output.map(
                (d) =>
                  html`<tr key=${d.traceId}><th>${d.traceId}</th><td class="hash">${short(d.a)}</td><td>→</td><td class="hash">${short(d.b)}</td><td>${d.sameCode ? 'same code: behaviour changed' : ''}</td></tr>`,
              )}</tbody></table>`
        }
        <h3>Environment</h3>
        ${
          c.environment.length === 0
            ? html`<p class="muted">same</p>`
            : html`<table><tbody>${c.environment.map(
                (d) =>
                  html`<tr key=${d.key}><th>${d.key}</th><td>${text(d.a)}</td><td>→</td><td>${text(d.b)}</td></tr>`,
              )}</tbody></table>`
        }
        <h3>Metrics (last [min, max])</h3>
        <table>
          <thead><tr><th>key</th><th>run ${c.a}</th><th>run ${c.b}</th></tr></thead>
          <tbody>${c.metrics.map((m) => html`<tr key=${m.key}><th>${m.key}</th><td>${fmt(m.a)}</td><td>${fmt(m.b)}</td></tr>`)}</tbody>
        </table>
        <p class="verdict">verdict: <b>${c.verdict.summary}</b></p>
      </div>`,
    )}
  </section>`;
}

// ---------------------------------------------------------------------------------------------------
// Search (studies)

// the API's types, written once in the tracker (type-only imports: nothing of the server is bundled)
type StudyItem = StudyListItem;
type Trial = TrialItem;
type StudyAnswer = StudyDetail;

/** An axis: numbers linearly, anything else as evenly spaced categories. */
function axis(values: unknown[]): {
  position: (v: unknown) => number;
  ticks: { at: number; label: string }[];
} {
  const numeric = values.every((v) => typeof v === 'number' && Number.isFinite(v));
  if (numeric && values.length) {
    const nums = values as number[];
    let min = Math.min(...nums);
    let max = Math.max(...nums);
    if (min > 0 && max / min >= 100) {
      // a log axis for ranges over two decades (learning rates)
      const [lo, hi] = [Math.log10(min), Math.log10(max)];
      const position = (v: unknown) => (Math.log10(v as number) - lo) / (hi - lo);
      const ticks = [];
      for (let e = Math.ceil(lo); e <= Math.floor(hi); e++)
        ticks.push({ at: (e - lo) / (hi - lo), label: `1e${e}` });
      return { position, ticks };
    }
    if (min === max) {
      min -= 1;
      max += 1;
    }
    const position = (v: unknown) => ((v as number) - min) / (max - min);
    return { position, ticks: [min, (min + max) / 2, max].map((t) => ({ at: position(t), label: num(t) })) };
  }
  const categories = [...new Set(values.map(text))].sort();
  const position = (v: unknown) =>
    categories.length === 1 ? 0.5 : categories.indexOf(text(v)) / (categories.length - 1);
  return { position, ticks: categories.map((c) => ({ at: position(c), label: c })) };
}

/** Metric colour from worst (light) to best (dark). */
function shade(t: number): string {
  const l = 80 - 50 * Math.max(0, Math.min(1, t));
  return `hsl(215, 70%, ${l}%)`;
}

function ParallelCoordinates({ data }: { data: StudyAnswer }) {
  const trials = data.trials.filter((t) => t.metric !== null && Number.isFinite(t.metric));
  const dims = [...data.params, 'metric'];
  const W = Math.max(480, dims.length * 150);
  const H = 300;
  const pad = { l: 60, r: 60, t: 24, b: 30 };
  const axes = dims.map((d) => axis(trials.map((t) => (d === 'metric' ? t.metric : t.params[d]))));
  const metricAxis = axes[axes.length - 1]!;
  const x = (i: number) => pad.l + (dims.length === 1 ? 0 : (i * (W - pad.l - pad.r)) / (dims.length - 1));
  const y = (p: number) => pad.t + (1 - p) * (H - pad.t - pad.b);
  const goodness = (m: number) =>
    data.study.mode === 'min' ? 1 - metricAxis.position(m) : metricAxis.position(m);
  const ordered = [...trials].sort((p, q) => goodness(p.metric!) - goodness(q.metric!));
  return html`<svg class="parcoords" data-testid="parallel-coordinates" viewBox=${`0 0 ${W} ${H}`} width=${W} height=${H}>
    ${ordered.map((t) => {
      const points = dims
        .map((d, i) => `${x(i)},${y(axes[i]!.position(d === 'metric' ? t.metric : t.params[d]))}`)
        .join(' ');
      return html`<polyline key=${t.id} points=${points} fill="none" stroke=${shade(goodness(t.metric!))} stroke-width="1.2" opacity="0.8"><title>${`trial ${t.id}, rung ${t.rung}: ${num(t.metric)}`}</title></polyline>`;
    })}
    ${dims.map(
      (d, i) => html`<g key=${d}>
        <line x1=${x(i)} x2=${x(i)} y1=${y(0)} y2=${y(1)} stroke="#333" />
        <text x=${x(i)} y=${H - 8} text-anchor="middle" class="axis-label">${d}</text>
        ${axes[i]!.ticks.slice(0, 12).map(
          (t, j) =>
            html`<text key=${j} x=${x(i) - 4} y=${y(t.at) + 4} text-anchor="end" class="tick">${t.label}</text>`,
        )}
      </g>`,
    )}
  </svg>`;
}

function Scatter({ data, param }: { data: StudyAnswer; param: string }) {
  const trials = data.trials.filter((t) => t.metric !== null && Number.isFinite(t.metric));
  const W = 260;
  const H = 180;
  const pad = { l: 44, r: 10, t: 10, b: 30 };
  const ax = axis(trials.map((t) => t.params[param]));
  const ay = axis(trials.map((t) => t.metric));
  const maxRung = Math.max(0, ...trials.map((t) => t.rung));
  const x = (p: number) => pad.l + p * (W - pad.l - pad.r);
  const y = (p: number) => pad.t + (1 - p) * (H - pad.t - pad.b);
  return html`<svg class="scatter" viewBox=${`0 0 ${W} ${H}`} width=${W} height=${H} data-testid="scatter">
    <rect x=${pad.l} y=${pad.t} width=${W - pad.l - pad.r} height=${H - pad.t - pad.b} fill="none" stroke="#ccc" />
    ${trials.map(
      (t) =>
        html`<circle key=${t.id} cx=${x(ax.position(t.params[param]))} cy=${y(ay.position(t.metric))} r="3" fill=${shade(maxRung ? t.rung / maxRung : 1)}><title>${`${param}=${text(t.params[param])}: ${num(t.metric)} (rung ${t.rung})`}</title></circle>`,
    )}
    <text x=${(pad.l + W - pad.r) / 2} y=${H - 6} text-anchor="middle" class="axis-label">${param}</text>
    ${ay.ticks.map((t, j) => html`<text key=${j} x=${pad.l - 4} y=${y(t.at) + 4} text-anchor="end" class="tick">${t.label}</text>`)}
  </svg>`;
}

function SearchPage({ name }: { name: string | undefined }) {
  const studies = useApi<StudyItem[]>(name ? undefined : 'api/studies');
  const study = useApi<StudyAnswer>(name ? `api/studies/${encodeURIComponent(name)}` : undefined);
  if (!name) {
    if (studies.error) return html`<${Problem} error=${studies.error} />`;
    if (!studies.data) return html`<p class="muted">loading…</p>`;
    return html`<section data-testid="studies-page">
      <h1>Search</h1>
      ${studies.data.length === 0 ? html`<p class="muted">no study in this store</p>` : null}
      <table>
        <thead><tr><th>study</th><th>project</th><th>algorithm</th><th>mode</th><th>status</th><th>trials</th><th>best</th><th>created</th></tr></thead>
        <tbody>
          ${studies.data.map(
            (s) => html`<tr key=${s.name}>
              <td><a href=${`#/search/${encodeURIComponent(s.name)}`}>${s.name}</a></td>
              <td>${s.project}</td><td>${s.algorithm}</td><td>${s.mode}</td><td>${s.status}</td>
              <td class="num">${s.completed} / ${s.trials}</td><td class="num">${num(s.best)}</td><td>${when(s.createdAt)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </section>`;
  }
  if (study.error) return html`<${Problem} error=${study.error} />`;
  const data = study.data;
  if (!data) return html`<p class="muted">loading…</p>`;
  const maxTrials = Math.max(1, ...data.rungs.map((r) => r.trials));
  const best = [...data.trials]
    .filter((t) => t.metric !== null)
    .sort((p, q) => (data.study.mode === 'min' ? p.metric! - q.metric! : q.metric! - p.metric!))
    .slice(0, 10);
  return html`<section data-testid="study-page">
    <h1>Study ${data.study.name}</h1>
    <p class="meta"><span>${data.study.algorithm}</span><span>${data.study.mode}</span><span>project ${data.study.project}</span><span>${data.study.status}</span><span>${data.trials.length} trials</span></p>
    <h2>Parameters against the metric</h2>
    <${ParallelCoordinates} data=${data} />
    <h2>Metric against each parameter</h2>
    <div class="charts">${data.params.map((p) => html`<${Scatter} key=${p} data=${data} param=${p} />`)}</div>
    <h2>Rungs (generations)</h2>
    <table data-testid="rungs">
      <thead><tr><th>rung</th><th>trials</th><th>completed</th><th>best</th><th></th></tr></thead>
      <tbody>
        ${data.rungs.map(
          (r) => html`<tr key=${r.rung}>
            <td>${r.rung}</td><td class="num">${r.trials}</td><td class="num">${r.completed}</td><td class="num">${num(r.best)}</td>
            <td><span class="bar" style=${{ width: `${(200 * r.trials) / maxTrials}px` }}></span></td>
          </tr>`,
        )}
      </tbody>
    </table>
    <h2>Best trials</h2>
    <table>
      <thead><tr><th>trial</th><th>rung</th><th>metric</th>${data.params.map((p) => html`<th key=${p}>${p}</th>`)}<th>run</th></tr></thead>
      <tbody>
        ${best.map(
          (t) => html`<tr key=${t.id}>
            <td>${t.id}</td><td>${t.rung}</td><td class="num">${num(t.metric)}</td>
            ${data.params.map((p) => html`<td key=${p}>${typeof t.params[p] === 'number' ? num(t.params[p] as number) : text(t.params[p])}</td>`)}
            <td>${t.runId === null ? '—' : html`<a href=${`#/run/${t.runId}`}>${t.runId}</a>`}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

// ---------------------------------------------------------------------------------------------------
// Code versions

interface TraceAnswer {
  projectName: string;
  traceId: string;
  staticTraceVersions: number;
  runtimeTraceVersions: number;
  versions: { type: string; hash: string; firstSeen: string; lastSeen: string; runs: RunItem[] }[];
}

function CodePage({ traceId, query }: { traceId: string | undefined; query: URLSearchParams }) {
  const project = query.get('project');
  const list = useApi<{ traceId: string; project: string; runs: number }[]>(
    traceId ? undefined : 'api/traces',
  );
  const stats = useApi<TraceAnswer[]>(
    traceId
      ? `api/traces/${encodeURIComponent(traceId)}${project ? `?project=${encodeURIComponent(project)}` : ''}`
      : undefined,
  );
  if (!traceId) {
    if (list.error) return html`<${Problem} error=${list.error} />`;
    if (!list.data) return html`<p class="muted">loading…</p>`;
    return html`<section data-testid="traces-page">
      <h1>Code versions</h1>
      ${list.data.length === 0 ? html`<p class="muted">no fingerprint recorded</p>` : null}
      <table>
        <thead><tr><th>trace id</th><th>project</th><th>runs</th></tr></thead>
        <tbody>
          ${list.data.map(
            (t) => html`<tr key=${`${t.traceId}/${t.project}`}>
              <td><a href=${`#/code/${encodeURIComponent(t.traceId)}?project=${encodeURIComponent(t.project)}`}>${t.traceId}</a></td>
              <td>${t.project}</td><td class="num">${t.runs}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </section>`;
  }
  if (stats.error) return html`<${Problem} error=${stats.error} />`;
  if (!stats.data) return html`<p class="muted">loading…</p>`;
  return html`<section data-testid="trace-page">
    <h1>Code versions of ${traceId}</h1>
    ${stats.data.length === 0 ? html`<p class="muted">no run recorded this trace</p>` : null}
    ${stats.data.map((s) => {
      const keys = [...new Set(s.versions.flatMap((v) => v.runs.flatMap((r) => Object.keys(r.metrics))))]
        .sort()
        .slice(0, 4);
      return html`<div key=${s.projectName}>
        <h2>${s.projectName}: ${s.staticTraceVersions} code version(s), ${s.runtimeTraceVersions} output version(s)</h2>
        ${s.versions.map(
          (v, i) => html`<div class="version" key=${`${v.type}:${v.hash}`}>
            <h3><span class="swatch" style=${{ borderColor: color(i) }}>${v.type}</span> <span class="hash" title=${v.hash}>${short(v.hash)}</span>
              <span class="muted"> first seen ${when(v.firstSeen)}, last seen ${when(v.lastSeen)}, ${v.runs.length} run(s)</span></h3>
            <table>
              <thead><tr><th>run</th><th>status</th><th>started</th>${keys.map((k) => html`<th key=${k}>${k}</th>`)}</tr></thead>
              <tbody>
                ${v.runs.map(
                  (r) => html`<tr key=${r.id}>
                    <td><a href=${`#/run/${r.id}`}>${r.id}</a></td><td><${Status} status=${r.status} /></td><td>${when(r.startedAt)}</td>
                    ${keys.map((k) => html`<td class="num" key=${k}>${num(r.metrics[k])}</td>`)}
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`,
        )}
      </div>`;
    })}
  </section>`;
}

// ---------------------------------------------------------------------------------------------------
// The app

function App() {
  const route = useRoute();
  const tab = (page: string, label: string, href: string) =>
    html`<a href=${href} class=${route.page === page || (page === 'runs' && route.page === 'run') ? 'active' : ''}>${label}</a>`;
  let page: VNode;
  switch (route.page) {
    case 'run':
      page = html`<${RunPage} key=${route.arg} id=${route.arg ?? ''} />`;
      break;
    case 'compare':
      page = html`<${ComparePage} query=${route.query} />`;
      break;
    case 'search':
      page = html`<${SearchPage} key=${route.arg ?? ''} name=${route.arg} />`;
      break;
    case 'code':
      page = html`<${CodePage} key=${route.arg ?? ''} traceId=${route.arg} query=${route.query} />`;
      break;
    default:
      page = html`<${RunsPage} query=${route.query} />`;
  }
  return html`<header>
      <span class="brand">ato</span>
      <nav>
        ${tab('runs', 'Runs', '#/runs')} ${tab('compare', 'Compare', '#/compare')} ${tab('search', 'Search', '#/search')}
        ${tab('code', 'Code versions', '#/code')}
      </nav>
    </header>
    <main>${page}</main>`;
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(html`<${App} />`, root);
}
