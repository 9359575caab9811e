// Sortable, filterable tables: the top table (self/total per function) and the diff table
// (per function, both sides and the change). Clicking a name highlights it in the flame graph.

import type { DiffRow, TopRow } from './api';
import { button, h } from './dom';
import { formatDelta, formatPercent, formatValue } from './format';

const MAX_ROWS = 500;

interface Column<T> {
  key: string;
  label: string;
  value: (r: T) => number | string;
  show: (r: T) => string;
  cls?: (r: T) => string;
}

export interface TableOptions<T> {
  testId: string;
  columns: Array<Column<T>>;
  sortKey: string;
  descending: boolean;
  name: (r: T) => string;
  onSelect: (name: string) => void;
  onSandwich?: (name: string) => void;
}

export class DataTable<T> {
  readonly el: HTMLElement;
  private rows: T[] = [];
  private filter = '';
  private sortKey: string;
  private descending: boolean;
  private readonly body: HTMLElement;
  private readonly head: HTMLElement;
  private readonly note: HTMLElement;

  constructor(private readonly opts: TableOptions<T>) {
    this.sortKey = opts.sortKey;
    this.descending = opts.descending;
    const filter = h('input', { type: 'search', placeholder: 'Filter functions', class: 'table-filter',
                                'aria-label': 'Filter functions', 'data-testid': `${opts.testId}-filter` }) as HTMLInputElement;
    filter.addEventListener('input', () => { this.filter = filter.value.toLowerCase(); this.draw(); });
    this.head = h('tr');
    this.body = h('tbody');
    this.note = h('div', { class: 'muted table-note' });
    this.el = h('section', { class: 'table', 'data-testid': opts.testId }, filter,
      h('div', { class: 'table-scroll' }, h('table', {}, h('thead', {}, this.head), this.body)), this.note);
  }

  set(rows: T[]): void {
    this.rows = rows;
    this.draw();
  }

  private sorted(): T[] {
    const col = this.opts.columns.find((c) => c.key === this.sortKey) ?? this.opts.columns[0];
    const f = this.filter;
    const rows = f ? this.rows.filter((r) => this.opts.name(r).toLowerCase().includes(f)) : [...this.rows];
    const dir = this.descending ? -1 : 1;
    // Stable: equal keys keep the server's order (pprof's order for the top table).
    return rows
      .map((r, i) => [r, i] as const)
      .sort(([a, ia], [b, ib]) => {
        const va = col.value(a), vb = col.value(b);
        const c = va < vb ? -1 : va > vb ? 1 : 0;
        return c !== 0 ? c * dir : ia - ib;
      })
      .map(([r]) => r);
  }

  private draw(): void {
    this.head.replaceChildren(...this.opts.columns.map((c) => {
      const active = c.key === this.sortKey;
      const th = h('th', { scope: 'col', 'aria-sort': active ? (this.descending ? 'descending' : 'ascending') : 'none' });
      th.append(button(c.label + (active ? (this.descending ? ' ▼' : ' ▲') : ''), () => {
        if (this.sortKey === c.key) this.descending = !this.descending;
        else { this.sortKey = c.key; this.descending = c.key !== 'name'; }
        this.draw();
      }, { class: 'sort', 'data-sort': c.key }));
      return th;
    }), h('th', {}, ''));
    const rows = this.sorted();
    const shown = rows.slice(0, MAX_ROWS);
    this.body.replaceChildren(...shown.map((r) => {
      const name = this.opts.name(r);
      const tr = h('tr', { 'data-testid': `${this.opts.testId}-row`, 'data-name': name });
      for (const c of this.opts.columns) {
        const td = h('td', { class: (c.key === 'name' ? 'name' : 'num') + (c.cls ? ' ' + c.cls(r) : '') }, c.show(r));
        if (c.key === 'name') td.title = name;
        tr.append(td);
      }
      const actions = h('td', { class: 'actions' });
      if (this.opts.onSandwich) {
        actions.append(button('sandwich', () => this.opts.onSandwich!(name),
          { class: 'link', title: `Callers and callees of ${name}` }));
      }
      tr.append(actions);
      tr.addEventListener('click', (e) => {
        if ((e.target as HTMLElement).closest('button')) return;
        this.opts.onSelect(name);
      });
      return tr;
    }));
    this.note.textContent = rows.length > MAX_ROWS ? `Showing ${MAX_ROWS} of ${rows.length} functions; filter to narrow.`
      : rows.length === 0 ? 'No function matches the filter.' : '';
  }
}

export function topTable(unit: string, total: number, onSelect: (n: string) => void,
                         onSandwich: (n: string) => void): DataTable<TopRow> {
  return new DataTable<TopRow>({
    testId: 'top',
    sortKey: 'flat',
    descending: true,
    name: (r) => r.name,
    onSelect,
    onSandwich,
    columns: [
      { key: 'flat', label: 'Self', value: (r) => r.flat, show: (r) => formatValue(r.flat, unit) },
      { key: 'flat_percent', label: 'Self %', value: (r) => r.flat, show: (r) => formatPercent(r.flat, total) },
      { key: 'cum', label: 'Total', value: (r) => r.cum, show: (r) => formatValue(r.cum, unit) },
      { key: 'cum_percent', label: 'Total %', value: (r) => r.cum, show: (r) => formatPercent(r.cum, total) },
      { key: 'name', label: 'Function', value: (r) => r.name, show: (r) => r.name + (r.inline ? ' (inline)' : '') },
    ],
  });
}

export function diffTable(unit: string, leftSum: number, rightSum: number,
                          onSelect: (n: string) => void): DataTable<DiffRow> {
  const sign = (v: number) => (v > 0 ? 'grew' : v < 0 ? 'shrank' : '');
  const share = (v: number, sum: number) => (sum > 0 ? v / sum : 0);
  return new DataTable<DiffRow>({
    testId: 'diff-table',
    sortKey: 'change',
    descending: true,
    name: (r) => r.name,
    onSelect,
    columns: [
      { key: 'name', label: 'Function', value: (r) => r.name, show: (r) => r.name },
      { key: 'left_flat', label: 'A self', value: (r) => r.left_flat, show: (r) => formatValue(r.left_flat, unit) },
      { key: 'right_flat', label: 'B self', value: (r) => r.right_flat, show: (r) => formatValue(r.right_flat, unit) },
      { key: 'change', label: 'Δ self', value: (r) => Math.abs(r.diff_flat), show: (r) => formatDelta(r.diff_flat, unit), cls: (r) => sign(r.diff_flat) },
      { key: 'share', label: 'Δ self share', value: (r) => share(r.right_flat, rightSum) - share(r.left_flat, leftSum),
        show: (r) => { const d = (share(r.right_flat, rightSum) - share(r.left_flat, leftSum)) * 100; return `${d >= 0 ? '+' : ''}${d.toFixed(2)} pp`; },
        cls: (r) => sign(share(r.right_flat, rightSum) - share(r.left_flat, leftSum)) },
      { key: 'left_cum', label: 'A total', value: (r) => r.left_cum, show: (r) => formatValue(r.left_cum, unit) },
      { key: 'right_cum', label: 'B total', value: (r) => r.right_cum, show: (r) => formatValue(r.right_cum, unit) },
      { key: 'diff_cum', label: 'Δ total', value: (r) => r.diff_cum, show: (r) => formatDelta(r.diff_cum, unit), cls: (r) => sign(r.diff_cum) },
    ],
  });
}
