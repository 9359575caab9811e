// The timeline of the selection's totals (uPlot): one line per group-by value, drag to
// select a time range, click a point to open the profiles of that step alone.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { SeriesResponse } from './api';
import { h } from './dom';
import { formatTime, formatValue } from './format';

const PALETTE = ['#d9480f', '#1c7ed6', '#2b8a3e', '#ae3ec9', '#f08c00', '#0b7285', '#c2255c', '#5f3dc4'];

export interface TimelineHandlers {
  onRange: (fromMs: number, untilMs: number) => void;
  onPoint: (tsMs: number, stepMs: number) => void;
}

export class Timeline {
  readonly el: HTMLElement;
  private plot: uPlot | null = null;
  private readonly chart: HTMLElement;
  private readonly summary: HTMLElement;
  private data: SeriesResponse | null = null;

  constructor(private readonly handlers: TimelineHandlers) {
    this.chart = h('div', { class: 'timeline-chart' });
    this.summary = h('p', { class: 'sr-only', 'data-testid': 'timeline-summary' });
    this.el = h('section', { class: 'timeline', 'data-testid': 'timeline',
                             'aria-label': 'Totals over time: drag to select a range, click a point to open it' },
      this.chart, this.summary);
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(this.chart);
    (window.__hearth ??= { graphs: {} }).timeline = this;
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(200, this.chart.clientWidth), height: 150 };
  }

  set(resp: SeriesResponse): void {
    this.data = resp;
    this.plot?.destroy();
    this.plot = null;
    const xs = new Set<number>();
    for (const s of resp.series) for (const [t] of s.points) xs.add(t);
    const x = [...xs].sort((a, b) => a - b);
    const at = new Map(x.map((t, i) => [t, i]));
    const ys = resp.series.map((s) => {
      const y: Array<number | null> = new Array(x.length).fill(null);
      for (const [t, v] of s.points) y[at.get(t)!] = v;
      return y;
    });
    const unit = resp.unit;
    const label = (l: Record<string, string>) =>
      Object.entries(l).map(([k, v]) => `${k}=${v}`).join(', ') || 'total';
    const opts: uPlot.Options = {
      ...this.size(),
      scales: { x: { time: true, range: [resp.from / 1000, resp.until / 1000] } },
      axes: [{}, { values: (_u, vals) => vals.map((v) => formatValue(v, unit)), size: 70 }],
      series: [
        { value: (_u, v) => (v == null ? '' : formatTime(v * 1000)) },
        ...resp.series.map((s, i) => ({
          label: label(s.labels),
          stroke: PALETTE[i % PALETTE.length],
          fill: resp.series.length === 1 ? 'rgba(217,72,15,0.12)' : undefined,
          width: 1.5,
          spanGaps: false,
          points: { show: true, size: 5 },
          value: (_u: uPlot, v: number | null) => (v == null ? '–' : formatValue(v, unit)),
        })),
      ],
      cursor: { drag: { x: true, y: false, setScale: false } },
      legend: { show: resp.series.length > 0 },
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 3) return;
            const from = u.posToVal(u.select.left, 'x') * 1000;
            const until = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            this.handlers.onRange(Math.floor(from), Math.ceil(until));
          },
        ],
      },
    };
    this.plot = new uPlot(opts, [x.map((t) => t / 1000), ...ys] as uPlot.AlignedData, this.chart);
    let downX = 0;
    this.plot.over.addEventListener('mousedown', (e) => { downX = e.clientX; });
    this.plot.over.addEventListener('click', (e) => {
      if (Math.abs(e.clientX - downX) > 2) return;  // that was a drag
      const i = this.plot?.cursor.idx;
      if (i != null && x[i] !== undefined) this.handlers.onPoint(x[i], resp.step * 1000);
    });
    const total = resp.series.reduce((a, s) => a + s.total, 0);
    this.summary.textContent = `${resp.series.length} series, ${x.length} points from ` +
      `${formatTime(resp.from)} to ${formatTime(resp.until)}, total ${formatValue(total, unit)}`;
    this.el.dataset.points = String(x.length);
    this.el.dataset.series = String(resp.series.length);
  }

  /** Test hook: where point i (in time order) is drawn, in page coordinates. */
  pointPosition(i: number): { x: number; y: number } | null {
    const u = this.plot;
    const ts = this.points()[i];
    if (!u || ts === undefined) return null;
    const r = u.over.getBoundingClientRect();
    return { x: r.left + u.valToPos(ts / 1000, 'x'), y: r.top + r.height / 2 };
  }

  /** Test hook: the timestamps (ms) of the points. */
  points(): number[] {
    const xs = new Set<number>();
    for (const s of this.data?.series ?? []) for (const [t] of s.points) xs.add(t);
    return [...xs].sort((a, b) => a - b);
  }
}
