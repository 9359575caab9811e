// The whole view lives in the URL, so any view can be shared or reloaded:
//
//   /?type=process_cpu:cpu:nanoseconds:cpu:nanoseconds&query={service_name="api"}
//     &from=now-1h&until=now&group_by=region&tab=both&search=fib&focus=main;main.fib
//     &only=main\.handle&without=gc&hide=^runtime\.     (frame filters: pprof -focus/-ignore/-hide)
//   /compare?...&right_query={...}&right_from=...&right_until=...
//   /span?span_id=000000005eed0187&type=...

import type { Params } from './api';

export type View = 'single' | 'compare' | 'span';
export type Tab = 'both' | 'flame' | 'table' | 'sandwich';

export interface ViewState {
  view: View;
  type: string;
  query: string;
  from: string;
  until: string;
  groupBy: string;
  tab: Tab;
  orient: 'icicle' | 'flame';
  invert: string;
  palette: string;
  search: string;
  focus: string;
  only: string;
  without: string;
  hide: string;
  fn: string;
  maxNodes: string;
  point: string;
  rightQuery: string;
  rightFrom: string;
  rightUntil: string;
  spanId: string;
  traceId: string;
}

const keys: Array<[keyof ViewState, string, string]> = [
  // field, URL parameter, default
  ['type', 'type', ''],
  ['query', 'query', ''],
  ['from', 'from', 'now-1h'],
  ['until', 'until', 'now'],
  ['groupBy', 'group_by', ''],
  ['tab', 'tab', 'both'],
  ['orient', 'orient', 'icicle'],
  ['invert', 'invert', ''],
  ['palette', 'palette', 'red-green'],
  ['search', 'search', ''],
  ['focus', 'focus', ''],
  ['only', 'only', ''],
  ['without', 'without', ''],
  ['hide', 'hide', ''],
  ['fn', 'fn', ''],
  ['maxNodes', 'max_nodes', '8192'],
  ['point', 'point', ''],
  ['rightQuery', 'right_query', ''],
  ['rightFrom', 'right_from', ''],
  ['rightUntil', 'right_until', ''],
  ['spanId', 'span_id', ''],
  ['traceId', 'trace_id', ''],
];

export function parseUrl(loc: { pathname: string; search: string }): ViewState {
  const q = new URLSearchParams(loc.search);
  const s = {} as Record<string, string>;
  for (const [field, param, def] of keys) s[field] = q.get(param) ?? def;
  const path = loc.pathname.replace(/\/+$/, '');
  const view: View = path.endsWith('/compare') ? 'compare' : path.endsWith('/span') ? 'span' : 'single';
  const state = s as unknown as ViewState;
  state.view = view;
  if (!['both', 'flame', 'table', 'sandwich'].includes(state.tab)) state.tab = 'both';
  if (state.orient !== 'flame') state.orient = 'icicle';
  return state;
}

export function toUrl(s: ViewState): string {
  const q = new URLSearchParams();
  for (const [field, param, def] of keys) {
    const v = s[field];
    if (v !== def && v !== '') q.set(param, v);
  }
  const path = s.view === 'compare' ? '/compare' : s.view === 'span' ? '/span' : '/';
  const qs = q.toString();
  return path + (qs ? '?' + qs : '');
}

/** The selector of a side: profile type + label matchers. */
export function selector(type: string, query: string): string {
  const m = query.trim();
  return type + (m === '' ? '{}' : m.startsWith('{') ? m : `{${m}}`);
}

/** The frame filters as API parameters (pprof's names). */
export function frameParams(s: ViewState): Params {
  return { focus: s.only, ignore: s.without, hide: s.hide };
}

export function mergeParams(s: ViewState): Params {
  return {
    query: selector(s.type, s.query),
    from: s.from,
    until: s.until,
    span_id: s.spanId,
    trace_id: s.traceId,
    ...frameParams(s),
  };
}

/** Sets (or removes, for '') one `label="value"` matcher in a selector's braces. */
export function setMatcher(query: string, label: string, value: string): string {
  const inner = query.trim().replace(/^\{/, '').replace(/\}$/, '');
  const parts = inner
    .split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)
    .map((p) => p.trim())
    .filter((p) => p !== '' && !new RegExp(`^${label.replace(/[.]/g, '\\.')}\\s*(=|!=|=~|!~)`).test(p));
  if (value !== '') parts.unshift(`${label}=${JSON.stringify(value)}`);
  return parts.length ? `{${parts.join(', ')}}` : '';
}

/** The value of an equality matcher in a selector, or ''. */
export function matcherValue(query: string, label: string): string {
  const m = new RegExp(`(?:^|[{,\\s])${label.replace(/[.]/g, '\\.')}\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(query);
  return m ? JSON.parse(`"${m[1]}"`) as string : '';
}

/** A shell-quoted word. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@,+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The `hearth` command that writes the same selection as a pprof file. */
export function cliCommand(s: ViewState): string {
  const parts = ['hearth', 'db', 'query', '--data', 'hearth-data', shellQuote(selector(s.type, s.query)),
    '--from', shellQuote(s.from), '--to', shellQuote(s.until)];
  if (s.spanId) for (const id of s.spanId.split(',')) parts.push('--span-id', shellQuote(id));
  for (const [flag, v] of [['--focus', s.only], ['--ignore', s.without], ['--hide', s.hide]]) {
    if (v) parts.push(flag, shellQuote(v));
  }
  parts.push('--format', 'pprof', '-o', 'profile.pb.gz');
  return parts.join(' ');
}
