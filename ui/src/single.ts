// The main view (and the span view): timeline, flame graph / icicle, top table, sandwich.

import { api, type MergeResponse, type TopResponse } from './api';
import { type App, unitOf } from './app';
import { button, debounce, empty, errorBox, h, loading } from './dom';
import { describeFilters, frameFilters } from './filters';
import { FlameGraph } from './flamegraph';
import { formatTime, formatValue } from './format';
import { queryBar, shareBar } from './querybar';
import { mergeParams, selector, type Tab } from './state';
import { topTable } from './table';
import { Timeline } from './timeline';
import { FlameTree } from './tree';

/** A time parameter for people: unix milliseconds as UTC, anything else as written. */
export function when(t: string): string {
  return /^\d{13}$/.test(t) ? formatTime(Number(t)) : t;
}

export interface Toolbar {
  el: HTMLElement;
  search: HTMLInputElement;
}

/** Search box and orientation, shared by every flame graph of a view. */
export function flameToolbar(app: App, graphs: () => FlameGraph[], extra: HTMLElement[] = []): Toolbar {
  const s = app.state;
  const search = h('input', { type: 'search', placeholder: 'Search: text, /regex/ or =exact name', value: s.search,
                              'data-testid': 'search', 'aria-label': 'Search functions' }) as HTMLInputElement;
  const apply = debounce(() => {
    for (const g of graphs()) g.setSearch(search.value);
    app.update({ search: search.value });
  }, 120);
  search.addEventListener('input', apply);
  const orient = h('select', { 'aria-label': 'Orientation', 'data-testid': 'orientation' }) as HTMLSelectElement;
  orient.append(h('option', { value: 'icicle' }, 'Icicle (root on top)'), h('option', { value: 'flame' }, 'Flame graph (root at the bottom)'));
  orient.value = s.orient;
  orient.addEventListener('change', () => {
    const o = orient.value === 'flame' ? 'flame' : 'icicle';
    for (const g of graphs()) g.setOrientation(o);
    app.update({ orient: o });
  });
  return { el: h('div', { class: 'toolbar' }, search, orient, ...extra), search };
}

export function renderSingle(app: App, root: HTMLElement, signal: AbortSignal): void {
  const s = app.state;
  const unit = unitOf(app, s.type);
  const params = mergeParams(s);
  const span = s.view === 'span';

  const barHost = h('div');
  const timelineHost = h('div', { class: 'timeline-host' });
  const content = h('div', { class: 'content' }, loading('the profile'));
  const tabs = h('nav', { class: 'tabs', role: 'tablist' });
  const graphs: FlameGraph[] = [];
  let redraw = () => {};
  const invert = h('input', { type: 'checkbox', 'data-testid': 'invert' }) as HTMLInputElement;
  invert.checked = s.invert === '1';
  invert.addEventListener('change', () => { app.update({ invert: invert.checked ? '1' : '', focus: '' }); redraw(); });
  const toolbar = flameToolbar(app, () => graphs, [h('label', { class: 'check', title: 'Bottom-up: the functions that use the time at the top, their callers below' }, invert, 'Invert stacks')]);
  const heading = span
    ? h('div', { class: 'banner', 'data-testid': 'span-banner' },
        h('strong', {}, s.spanId ? `Span ${s.spanId}` : `Trace ${s.traceId}`),
        ` — the samples recorded while this ${s.spanId ? 'span' : 'trace'} ran, ${selector(s.type, s.query)}, ${when(s.from)} to ${when(s.until)}`)
    : null;
  const point = s.point
    ? h('div', { class: 'banner', 'data-testid': 'point-banner' },
        `One timeline step: the profiles from ${formatTime(Number(s.from))} to ${formatTime(Number(s.until))}. `,
        button('Back to the range', () => history.back(), { class: 'link' }))
    : null;
  root.replaceChildren(barHost, shareBar(app), heading ?? '', point ?? '', timelineHost,
    h('div', { class: 'viewbar' }, tabs, toolbar.el), frameFilters(app), content);

  // Query bar choices (services, label names) load beside the data.
  const bar = queryBar(app);
  barHost.replaceChildren(bar.el);
  Promise.all([
    api.labelValues({ name: 'service_name', query: s.type, from: s.from, until: s.until }, signal).then((r) => r.values, () => []),
    api.labels({ query: s.type, from: s.from, until: s.until }, signal).then((r) => r.names, () => []),
  ]).then(([services, names]) => bar.setChoices(services, names), () => {});

  if (!span) {
    const timeline = new Timeline({
      onRange: (from, until) => app.update({ from: String(from), until: String(until), point: '' }, { reload: true, push: true }),
      onPoint: (ts, step) => app.update({ from: String(ts), until: String(ts + step), point: '1', focus: '' }, { reload: true, push: true }),
    });
    timelineHost.replaceChildren(loading('the timeline'));
    api.series({ ...params, group_by: s.groupBy, limit: s.groupBy ? '8' : undefined }, signal).then((r) => {
      if (r.series.length === 0) { timelineHost.replaceChildren(); return; }
      timelineHost.replaceChildren(timeline.el);
      timeline.set(r);
    }, (e) => { if (!signal.aborted) timelineHost.replaceChildren(errorBox('the timeline', e)); });
  }

  const merge = api.merge({ ...params, max_nodes: s.maxNodes }, signal);
  const top = api.top(params, signal);
  Promise.all([merge, top]).then(([m, t]) => show(m, t), (e) => {
    if (!signal.aborted) content.replaceChildren(errorBox(span ? 'the span profile' : 'the profile', e));
  });

  function show(m: MergeResponse, t: TopResponse): void {
    const group = m.groups[0];
    const filtered = describeFilters(s);
    if (filtered && (!group || group.total === 0)) {
      content.replaceChildren(empty(`No samples are left after the frame filters (${filtered}).`,
        'Loosen or clear the filters (Filter frames above); the patterns are regular expressions over function, file and binary names.'));
      return;
    }
    if (!group || group.total === 0) {
      content.replaceChildren(empty(
        span ? `No samples of ${s.spanId ? 'span ' + s.spanId : 'trace ' + s.traceId} in ${s.type.split(':')[0]} profiles between ${when(s.from)} and ${when(s.until)}.`
             : `No profiles match ${selector(s.type, s.query)} between ${when(s.from)} and ${when(s.until)}.`,
        span ? 'Widen the time range or pick another profile type; span ids come from OTLP links or the pprof label span_id.'
             : 'Widen the time range (e.g. Last 7d), pick another service or profile type, or push profiles to this server (see the README).'));
      return;
    }
    const tree = FlameTree.fromFlat(group.flamegraph);
    let inverted: FlameTree | undefined;
    const total = group.total;
    const onHighlight = (name: string) => {
      toolbar.search.value = `=${name}`;
      for (const g of graphs) g.setSearch(toolbar.search.value);
      app.update({ search: toolbar.search.value });
    };
    const onSandwich = (fn: string) => { app.update({ tab: 'sandwich', fn }); draw('sandwich'); };
    const flame = new FlameGraph({ testId: 'flamegraph', unit: m.unit, orientation: s.orient, title: '',
      onZoom: (path) => app.update({ focus: path }), onSandwich, onHighlight });
    const table = topTable(m.unit, total, onHighlight, onSandwich);
    table.set(t.groups[0]?.rows ?? []);
    const summary = h('div', { class: 'summary', 'data-testid': 'summary' },
      `Total ${formatValue(total, m.unit || unit)} · ${m.stats.series} series · ${m.stats.samples.toLocaleString('en')} samples · ` +
      `${tree.n.toLocaleString('en')} nodes` + (filtered ? ` · frames: ${filtered}` : '') +
      (group.truncated ? ' (small callees folded into “other”; raise Max nodes to see more)' : ''),
      ...(m.warnings.length ? [h('div', { class: 'warn' }, `Warnings: ${m.warnings.join('; ')}`)] : []));

    const draw = (tab: Tab) => {
      tabs.querySelectorAll('button').forEach((b) => b.setAttribute('aria-selected', String(b.dataset.tab === tab)));
      graphs.length = 0;
      const body = h('div', { class: `tab-${tab}` });
      if (tab === 'both' || tab === 'flame') {
        graphs.push(flame);
        if (tab === 'both') body.append(h('div', { class: 'split' }, table.el, flame.el));
        else body.append(flame.el);
      } else if (tab === 'table') {
        body.append(table.el);
      } else {
        body.append(sandwich(tree, app.state.fn, m.unit));
      }
      content.replaceChildren(summary, body);
      if (tab === 'both' || tab === 'flame') {
        // Attached first, so the first paint already has the real width.
        flame.setSearch(toolbar.search.value);
        flame.setTree(app.state.invert === '1' ? (inverted ??= tree.inverted()) : tree, app.state.focus);
      }
    };
    const sandwich = (t: FlameTree, fn: string, u: string): HTMLElement => {
      if (!fn) {
        return empty('Pick a function for the sandwich view.',
          'Right-click a frame and choose “Sandwich view”, or use the “sandwich” link of a top-table row.');
      }
      const callers = new FlameGraph({ testId: 'sandwich-callers', unit: u, orientation: 'flame', title: `Callers of ${fn}`, onSandwich, onHighlight });
      const callees = new FlameGraph({ testId: 'sandwich-callees', unit: u, orientation: 'icicle', title: `Callees of ${fn}`, onSandwich, onHighlight });
      graphs.push(callers, callees);
      const el = h('div', { class: 'sandwich', 'data-testid': 'sandwich' }, callers.el, callees.el);
      queueMicrotask(() => {
        callers.setTree(t.callers(fn));
        callees.setTree(t.callees(fn));
        callers.setSearch(toolbar.search.value);
        callees.setSearch(toolbar.search.value);
      });
      return el;
    };
    const labels: Array<[Tab, string]> = [['both', 'Table + flame graph'], ['flame', 'Flame graph'], ['table', 'Top table'], ['sandwich', 'Sandwich']];
    tabs.replaceChildren(...labels.map(([tab, label]) =>
      button(label, () => { app.update({ tab }); draw(tab); }, { role: 'tab', 'data-tab': tab, 'data-testid': `tab-${tab}` })));
    redraw = () => draw(app.state.tab);
    draw(s.tab);
  }
}
