// Comparison: two selections (label sets and/or time ranges), their flame graphs side by
// side, the diff flame graph (growth red, shrink green) and the diff table by change.

import { api, apiUrl, type DiffResponse, type MergeResponse } from './api';
import type { App } from './app';
import { attachAutocomplete } from './autocomplete';
import { button, empty, errorBox, h, loading } from './dom';
import { FlameGraph, diffLegend } from './flamegraph';
import { formatValue } from './format';
import { labelSource, rangePicker } from './querybar';
import { frameFilters } from './filters';
import { frameParams, selector } from './state';
import { diffTable } from './table';
import { flameToolbar } from './single';
import { FlameTree } from './tree';

interface Side {
  key: 'A' | 'B';
  query: string;
  from: string;
  until: string;
}

function sideEditor(app: App, side: Side, apply: (patch: Omit<Side, 'key'>) => void): HTMLElement {
  const id = side.key.toLowerCase();
  const q = h('input', { type: 'text', value: side.query, 'data-testid': `${id}-selector`, class: 'selector',
                         'aria-label': `Selection ${side.key} labels`, placeholder: '{service_name="api"}', spellcheck: 'false' }) as HTMLInputElement;
  let from = side.from, until = side.until;
  const run = () => apply({ query: q.value.trim(), from, until });
  const list = attachAutocomplete(q, labelSource(app.state.type, side.from, side.until), run);
  const range = rangePicker(`${id}-`, side.from, side.until, (f, u) => { from = f; until = u; run(); });
  return h('div', { class: `side side-${id}`, 'data-testid': `side-${id}` },
    h('strong', {}, side.key === 'A' ? 'A · baseline' : 'B · comparison'),
    h('label', { class: 'field grow' }, h('span', {}, 'Labels'), h('div', { class: 'suggest-wrap' }, q, list)),
    range, button('Run', run, { class: 'primary', 'data-testid': `${id}-run` }));
}

export function renderCompare(app: App, root: HTMLElement, signal: AbortSignal): void {
  const s = app.state;
  const a: Side = { key: 'A', query: s.query, from: s.from, until: s.until };
  const b: Side = { key: 'B', query: s.rightQuery || s.query, from: s.rightFrom || s.from, until: s.rightUntil || s.until };
  const typeSel = h('select', { 'data-testid': 'type', 'aria-label': 'Profile type' }) as HTMLSelectElement;
  for (const t of app.types) typeSel.append(h('option', { value: t.id }, `${t.name} · ${t.sample_type} (${t.sample_unit})`));
  typeSel.value = s.type;
  typeSel.addEventListener('change', () => app.update({ type: typeSel.value }, { reload: true, push: true }));
  const graphs: FlameGraph[] = [];
  const palette = h('select', { 'aria-label': 'Diff colours', 'data-testid': 'palette' }) as HTMLSelectElement;
  palette.append(h('option', { value: 'red-green' }, 'Grow red, shrink green'),
                 h('option', { value: 'red-blue' }, 'Grow red, shrink blue (colour-blind safe)'));
  palette.value = s.palette === 'red-blue' ? 'red-blue' : 'red-green';
  palette.addEventListener('change', () => app.update({ palette: palette.value }, { reload: true }));
  const toolbar = flameToolbar(app, () => graphs, [palette]);
  const content = h('div', { class: 'content' }, loading('both selections'));
  const diffParams = {
    left: selector(s.type, a.query), right: selector(s.type, b.query),
    left_from: a.from, left_until: a.until, right_from: b.from, right_until: b.until,
    ...frameParams(s),
  };
  root.replaceChildren(
    h('div', { class: 'compare-head' },
      button('← Single view', () => app.update({ view: 'single' }, { reload: true, push: true }), { class: 'link' }),
      h('label', { class: 'field' }, h('span', {}, 'Profile type'), typeSel),
      h('a', { class: 'btn', href: apiUrl('diff', { ...diffParams, format: 'pprof' }), download: 'diff.pb.gz',
               'data-testid': 'download-diff' }, 'Download diff pprof')),
    sideEditor(app, a, (p) => app.update({ query: p.query, from: p.from, until: p.until }, { reload: true, push: true })),
    sideEditor(app, b, (p) => app.update({ rightQuery: p.query, rightFrom: p.from, rightUntil: p.until }, { reload: true, push: true })),
    h('div', { class: 'viewbar' }, toolbar.el), frameFilters(app), content);

  const merge = (side: Side) => api.merge({ query: selector(s.type, side.query), from: side.from, until: side.until,
                                             max_nodes: s.maxNodes, ...frameParams(s) }, signal);
  Promise.all([merge(a), merge(b), api.diff({ ...diffParams, max_nodes: s.maxNodes }, signal)])
    .then(([ma, mb, d]) => show(ma, mb, d), (e) => { if (!signal.aborted) content.replaceChildren(errorBox('the comparison', e)); });

  function show(ma: MergeResponse, mb: MergeResponse, d: DiffResponse): void {
    const ta = ma.groups[0]?.total ?? 0;
    const tb = mb.groups[0]?.total ?? 0;
    if (ta === 0 && tb === 0) {
      content.replaceChildren(empty('Neither selection has profiles.', 'Widen the time ranges or change the label selectors of A and B.'));
      return;
    }
    const unit = d.unit || ma.unit;
    const search = (name: string) => {
      toolbar.search.value = `=${name}`;
      for (const g of graphs) g.setSearch(toolbar.search.value);
      app.update({ search: toolbar.search.value });
    };
    const mk = (testId: string, title: string) =>
      new FlameGraph({ testId, unit, orientation: s.orient, title, onHighlight: search, palette: palette.value });
    const ga = mk('flamegraph-a', `A: ${formatValue(ta, unit)}`);
    const gb = mk('flamegraph-b', `B: ${formatValue(tb, unit)}`);
    const gd = mk('flamegraph-diff', 'Diff: B against A');
    graphs.push(ga, gb, gd);
    const table = diffTable(unit, d.left.total, d.right.total, search);
    table.set(d.table);
    const change = tb - ta;
    content.replaceChildren(
      h('div', { class: 'summary', 'data-testid': 'diff-summary' },
        `A ${formatValue(ta, unit)} → B ${formatValue(tb, unit)} (${change >= 0 ? '+' : '−'}${formatValue(Math.abs(change), unit)}` +
        `${ta > 0 ? `, ${change >= 0 ? '+' : ''}${((100 * change) / ta).toFixed(1)}%` : ''})`),
      h('div', { class: 'side-by-side' }, ga.el, gb.el),
      h('h2', {}, 'Diff flame graph'), diffLegend(palette.value), gd.el,
      h('h2', {}, 'Functions by change'), table.el);
    const text = toolbar.search.value;
    for (const g of graphs) g.setSearch(text);
    if (ma.groups[0]) ga.setTree(FlameTree.fromFlat(ma.groups[0].flamegraph));
    if (mb.groups[0]) gb.setTree(FlameTree.fromFlat(mb.groups[0].flamegraph));
    gd.setTree(FlameTree.fromDiff(d.flamegraph, d.left.total, d.right.total));
  }
}
