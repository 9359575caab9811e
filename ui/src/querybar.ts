// The query bar: profile type, service, label selector (with autocomplete), group-by,
// time range (relative presets or absolute times), node limit, and the actions that
// share the selection (pprof download, CLI command, compare).

import { api, apiUrl } from './api';
import type { App } from './app';
import { attachAutocomplete } from './autocomplete';
import { button, h } from './dom';
import { cliCommand, matcherValue, mergeParams, selector, setMatcher } from './state';

const PRESETS = ['5m', '15m', '1h', '3h', '6h', '12h', '24h', '2d', '7d', '30d'];

function fill(s: HTMLSelectElement, options: Array<[string, string]>, value: string): void {
  s.replaceChildren(...options.map(([v, text]) => h('option', { value: v }, text)));
  s.value = value;
}

function select(testId: string, label: string, options: Array<[string, string]>, value: string,
                onChange: (v: string) => void): [HTMLElement, HTMLSelectElement] {
  const s = h('select', { 'data-testid': testId, 'aria-label': label }) as HTMLSelectElement;
  fill(s, options, value);
  s.addEventListener('change', () => onChange(s.value));
  return [h('label', { class: 'field' }, h('span', {}, label), s), s];
}

function textInput(testId: string, label: string, value: string, placeholder: string): HTMLInputElement {
  return h('input', { type: 'text', 'data-testid': testId, 'aria-label': label, value, placeholder,
                      spellcheck: 'false', autocomplete: 'off' }) as HTMLInputElement;
}

/** Caches label names and values per type and range for the autocomplete. */
export function labelSource(type: string, from: string, until: string) {
  let names: Promise<string[]> | null = null;
  const values = new Map<string, Promise<string[]>>();
  return {
    names: () => (names ??= api.labels({ query: type, from, until }).then((r) => r.names)),
    values: (name: string) => {
      let v = values.get(name);
      if (!v) {
        v = api.labelValues({ name, query: type, from, until }).then((r) => r.values);
        values.set(name, v);
      }
      return v;
    },
  };
}

/** Time range: presets plus free text (now-2h, RFC 3339, unix time) and absolute pickers. */
export function rangePicker(prefix: string, from: string, until: string,
                            apply: (from: string, until: string) => void): HTMLElement {
  const fromIn = textInput(`${prefix}from`, 'From', from, 'now-1h or 2026-11-26T07:00:00Z');
  const untilIn = textInput(`${prefix}until`, 'Until', until, 'now');
  const preset = until === 'now' && PRESETS.includes(from.slice(4)) && from.startsWith('now-') ? from.slice(4) : 'custom';
  const [presets] = select(`${prefix}range`, 'Range',
    [...PRESETS.map((p) => [p, `Last ${p}`] as [string, string]), ['custom', 'Custom']], preset,
    (v) => { if (v !== 'custom') apply(`now-${v}`, 'now'); });
  const go = () => apply(fromIn.value.trim() || 'now-1h', untilIn.value.trim() || 'now');
  for (const i of [fromIn, untilIn]) i.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); });
  const absFrom = h('input', { type: 'datetime-local', 'aria-label': 'Absolute start (UTC)', step: '1' }) as HTMLInputElement;
  const absUntil = h('input', { type: 'datetime-local', 'aria-label': 'Absolute end (UTC)', step: '1' }) as HTMLInputElement;
  const abs = h('details', { class: 'abs' }, h('summary', {}, 'Absolute…'),
    h('div', {}, 'UTC ', absFrom, ' → ', absUntil, button('Apply', () => {
      if (absFrom.value && absUntil.value) apply(`${absFrom.value}Z`.replace(/(T\d\d:\d\d)Z$/, '$1:00Z'),
                                                `${absUntil.value}Z`.replace(/(T\d\d:\d\d)Z$/, '$1:00Z'));
    })));
  return h('div', { class: 'range' }, presets,
    h('label', { class: 'field' }, h('span', {}, 'From'), fromIn),
    h('label', { class: 'field' }, h('span', {}, 'Until'), untilIn), abs);
}

export interface QueryBar {
  el: HTMLElement;
  /**
   * The service and group-by choices, which load after the bar is shown: filled in place,
   * so whatever was typed meanwhile (and the focus) stays.
   */
  setChoices(services: string[], labelNames: string[]): void;
}

export function queryBar(app: App): QueryBar {
  const s = app.state;
  const typeOptions: Array<[string, string]> = app.types.map((t) => [t.id, `${t.name} · ${t.sample_type} (${t.sample_unit})`]);
  if (s.type && !app.types.some((t) => t.id === s.type)) typeOptions.unshift([s.type, s.type]);
  const [type] = select('type', 'Profile type', typeOptions, s.type,
    (v) => app.update({ type: v, focus: '', fn: '' }, { reload: true, push: true }));
  const current = matcherValue(s.query, 'service_name');
  const svcOptions = (services: string[]): Array<[string, string]> => {
    const o: Array<[string, string]> = [['', 'All services'], ...services.map((v) => [v, v] as [string, string])];
    if (current && !services.includes(current)) o.push([current, current]);
    return o;
  };
  const [service, serviceSelect] = select('service', 'Service', svcOptions([]), current,
    (v) => app.update({ query: setMatcher(s.query, 'service_name', v), focus: '', fn: '' }, { reload: true, push: true }));

  const q = textInput('selector', 'Label selector', s.query, '{service_name="api", region=~"eu-.*"}');
  q.classList.add('selector');
  const run = () => app.update({ query: q.value.trim(), focus: '' }, { reload: true, push: true });
  const suggestions = attachAutocomplete(q, labelSource(s.type, s.from, s.until), run);
  const groupOptions = (names: string[]): Array<[string, string]> =>
    [['', 'none'], ...names.filter((n) => n !== '__name__').map((n) => [n, n] as [string, string])];
  const [groupBy, groupSelect] = select('group-by', 'Group by', groupOptions(s.groupBy ? [s.groupBy] : []),
    s.groupBy, (v) => app.update({ groupBy: v }, { reload: true, push: true }));
  const range = rangePicker('', s.from, s.until, (from, until) => app.update({ from, until, point: '' }, { reload: true, push: true }));
  const limits = ['1024', '8192', '32768', '131072', '1048576'];
  if (!limits.includes(s.maxNodes)) limits.unshift(s.maxNodes);
  const [maxNodes] = select('max-nodes', 'Max nodes', limits.map((v) => [v, Number(v).toLocaleString('en')] as [string, string]),
    s.maxNodes, (v) => app.update({ maxNodes: v }, { reload: true }));

  const el = h('form', { class: 'querybar', 'data-testid': 'querybar', onsubmit: 'return false' },
    type, service,
    h('label', { class: 'field grow' }, h('span', {}, 'Labels'), h('div', { class: 'suggest-wrap' }, q, suggestions)),
    groupBy, range, maxNodes,
    button('Run', run, { class: 'primary', 'data-testid': 'run' }));
  return {
    el,
    setChoices(services, labelNames) {
      fill(serviceSelect, svcOptions(services), current);
      fill(groupSelect, groupOptions(labelNames), s.groupBy);
    },
  };
}

/** Download as pprof, copy a `hearth` command, open a comparison. */
export function shareBar(app: App): HTMLElement {
  const s = app.state;
  const href = apiUrl('merge', { ...mergeParams(s), format: 'pprof' });
  const download = h('a', { href, download: `${s.type.split(':')[0] || 'profile'}.pb.gz`, class: 'btn',
                            'data-testid': 'download-pprof' }, 'Download pprof');
  const cmd = cliCommand(s);
  const out = h('code', { class: 'cli', 'data-testid': 'cli-command' }, cmd);
  const copy = button('Copy CLI command', () => {
    void navigator.clipboard?.writeText(cmd).then(() => { copy.textContent = 'Copied'; }, () => {
      copy.textContent = 'Select the command to copy';
    });
  }, { 'data-testid': 'copy-cli', title: cmd });
  const compare = button('Compare…', () => app.update({
    view: 'compare', rightQuery: s.rightQuery || s.query, rightFrom: s.rightFrom || s.from, rightUntil: s.rightUntil || s.until,
  }, { reload: true, push: true }), { 'data-testid': 'open-compare' });
  return h('div', { class: 'sharebar' }, download, copy, compare, out,
    h('span', { class: 'muted' }, `selector: ${selector(s.type, s.query)}`));
}
