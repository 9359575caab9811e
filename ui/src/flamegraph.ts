// The flame graph on a canvas: icicle (root on top) or flame (root at the bottom), zoom on
// click, search highlighting, tooltips, diff colouring, and an accessible text layer.
//
// Drawing walks the pre-order arrays once and skips whole subtrees that are narrower than
// half a pixel or outside the zoomed range (a child never extends past its parent), so a
// 100k-node tree draws only what is visible. Labels use a monospace font so truncation is
// arithmetic, not measureText per node.

import { DIMMED_COLOR, OTHER_COLOR, diffColor, packageColor, packageOf } from './colors';
import { h } from './dom';
import { formatDelta, formatPercent, formatValue } from './format';
import { FlameTree, matcher } from './tree';

const ROW = 18;
const FONT = '11px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';
const MIN_WIDTH_PX = 0.5;
const TEXT_LAYER_MAX = 2000;

export interface FlameGraphOptions {
  testId: string;
  unit: string;
  orientation?: 'icicle' | 'flame';
  /** Diff colours: 'red-green' (default) or 'red-blue'. */
  palette?: string;
  title?: string;
  onZoom?: (path: string) => void;
  onSandwich?: (fn: string) => void;
  onHighlight?: (fn: string) => void;
}

declare global {
  interface Window {
    __hearth?: { graphs: Record<string, FlameGraph>; [k: string]: unknown };
  }
}

export class FlameGraph {
  readonly el: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly tooltip: HTMLElement;
  private readonly menu: HTMLElement;
  private readonly textLayer: HTMLElement;
  private readonly info: HTMLElement;
  private readonly crumbs: HTMLElement;
  private readonly legend: HTMLElement;
  private readonly wrap: HTMLElement;
  private tree: FlameTree | null = null;
  private colors: string[] = [];
  private focus = 0;
  private matched: Uint8Array | null = null;
  private searchText = '';
  private orientation: 'icicle' | 'flame';
  private charWidth = 6.6;
  // Rectangles of the last paint, for hit testing.
  private hitIndex = new Int32Array(0);
  private hitX = new Float32Array(0);
  private hitY = new Float32Array(0);
  private hitW = new Float32Array(0);
  private hitCount = 0;
  private textTimer = 0;
  private hovered = -1;
  /** Milliseconds the last paint took (for the benchmark and curious people). */
  lastPaintMs = 0;
  /** performance.now() when a tree was first drawn (ms since the page's navigation). */
  firstPaintAt = 0;
  paints = 0;

  constructor(private readonly opts: FlameGraphOptions) {
    this.orientation = opts.orientation ?? 'icicle';
    this.canvas = h('canvas', { class: 'flame-canvas', 'aria-hidden': 'true' }) as HTMLCanvasElement;
    this.ctx = this.canvas.getContext('2d', { alpha: false })!;
    this.tooltip = h('div', { class: 'tooltip', role: 'tooltip', hidden: '' });
    this.menu = h('div', { class: 'menu', role: 'menu', hidden: '' });
    this.textLayer = h('ul', { class: 'sr-only', 'data-testid': `${opts.testId}-nodes`,
                               'aria-label': `${opts.title ?? 'flame graph'}: visible frames` });
    this.info = h('span', { class: 'flame-info', 'data-testid': `${opts.testId}-info` });
    this.crumbs = h('span', { class: 'crumbs' });
    this.legend = h('div', { class: 'legend packages', 'data-testid': `${opts.testId}-packages` });
    const reset = h('button', { type: 'button', 'data-testid': `${opts.testId}-reset`,
                                title: 'Show the whole profile (Esc)' }, 'Reset zoom');
    reset.addEventListener('click', () => this.zoom(0));
    this.wrap = h('div', { class: 'flame-wrap' }, this.canvas, this.tooltip, this.menu);
    this.el = h('section', { class: 'flame', 'data-testid': opts.testId },
      h('div', { class: 'flame-bar' }, opts.title ? h('strong', {}, opts.title) : '', reset,
        this.crumbs, this.info),
      this.wrap, this.legend, this.textLayer);
    this.el.tabIndex = 0;  // Escape zooms out
    this.el.addEventListener('keydown', (e) => { if (e.key === 'Escape') this.zoom(0); });
    this.canvas.addEventListener('mousemove', (e) => this.onMove(e));
    this.canvas.addEventListener('mouseleave', () => { this.tooltip.hidden = true; this.hovered = -1; });
    this.canvas.addEventListener('click', (e) => this.onClick(e));
    this.canvas.addEventListener('contextmenu', (e) => this.onMenu(e));
    document.addEventListener('click', () => { this.menu.hidden = true; });
    new ResizeObserver(() => this.render()).observe(this.wrap);
    const hooks = (window.__hearth ??= { graphs: {} });
    hooks.graphs[opts.testId] = this;
  }

  setTree(tree: FlameTree | null, focusPath = ''): void {
    this.tree = tree;
    this.focus = tree ? tree.findPath(focusPath) : 0;
    this.colors = tree ? tree.names.map((n) => (n === 'other' ? OTHER_COLOR : packageColor(packageOf(n)))) : [];
    this.drawPackages();
    this.applySearch();
    this.render();
  }

  /** The packages that use the most time (self), with their colours. */
  private drawPackages(): void {
    const tree = this.tree;
    if (!tree || tree.diff || tree.total[0] <= 0) {
      this.legend.replaceChildren();
      return;
    }
    // Per name first (names are far fewer than nodes), then per package.
    const byName = new Float64Array(tree.names.length);
    for (let i = 1; i < tree.n; i++) byName[tree.nameId[i]] += tree.self[i];
    const byPackage = new Map<string, number>();
    tree.names.forEach((name, id) => {
      if (byName[id] <= 0 || name === 'other') return;
      const p = packageOf(name);
      byPackage.set(p, (byPackage.get(p) ?? 0) + byName[id]);
    });
    const top = [...byPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10);
    this.legend.replaceChildren(h('span', { class: 'muted' }, 'Colour by package:'), ...top.map(([p, v]) =>
      h('span', { class: 'chip', 'data-package': p, title: `${p}: ${formatValue(v, this.opts.unit)} self` },
        h('i', { style: `background:${packageColor(p)}` }), `${p} ${formatPercent(v, tree.total[0])}`)));
  }

  setOrientation(o: 'icicle' | 'flame'): void {
    this.orientation = o;
    this.render();
  }

  setSearch(text: string): void {
    this.searchText = text;
    this.applySearch();
    this.render();
  }

  zoom(node: number): void {
    if (!this.tree) return;
    this.focus = node;
    this.opts.onZoom?.(node === 0 ? '' : this.tree.path(node));
    this.render();
  }

  /** Zooms to the first node of that name (test hook and table link). */
  zoomToName(name: string): boolean {
    if (!this.tree) return false;
    for (let i = 1; i < this.tree.n; i++) {
      if (this.tree.name(i) === name) {
        this.zoom(i);
        return true;
      }
    }
    return false;
  }

  /** Names drawn wide enough to read in the last paint, in drawing order. */
  visibleNames(): string[] {
    const out: string[] = [];
    if (!this.tree) return out;
    for (let k = 0; k < this.hitCount; k++) out.push(this.tree.name(this.hitIndex[k]));
    return out;
  }

  /** Where the first drawn node of that name is, in page coordinates (test hook). */
  rectOf(name: string): { x: number; y: number; width: number; height: number } | null {
    if (!this.tree) return null;
    const r = this.canvas.getBoundingClientRect();
    for (let k = 0; k < this.hitCount; k++) {
      if (this.tree.name(this.hitIndex[k]) === name) {
        return { x: r.left + this.hitX[k], y: r.top + this.hitY[k], width: this.hitW[k], height: ROW - 1 };
      }
    }
    return null;
  }

  focusedName(): string {
    return this.tree ? this.tree.name(this.focus) : '';
  }

  private applySearch(): void {
    const m = this.tree ? matcher(this.searchText) : null;
    if (!this.tree || !m) {
      this.matched = null;
      this.info.textContent = '';
      return;
    }
    const r = this.tree.search(m);
    this.matched = r.matched;
    const all = this.tree.total[0];
    const value = this.tree.diff ? '' : ` (${formatValue(r.value, this.opts.unit)} of ${formatValue(all, this.opts.unit)})`;
    this.info.textContent = `Search matches ${formatPercent(r.value, all)}${value}`;
  }

  render(): void {
    const t0 = performance.now();
    const tree = this.tree;
    const dpr = window.devicePixelRatio || 1;
    const width = Math.max(100, this.wrap.clientWidth);
    const rows = tree ? tree.maxDepth + 1 : 1;
    const height = rows * ROW;
    if (this.canvas.width !== Math.round(width * dpr) || this.canvas.height !== Math.round(height * dpr)) {
      this.canvas.width = Math.round(width * dpr);
      this.canvas.height = Math.round(height * dpr);
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${height}px`;
    }
    const ctx = this.ctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, height);
    if (!tree || tree.n === 0 || tree.total[0] <= 0) {
      this.hitCount = 0;
      return;
    }
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    this.charWidth = ctx.measureText('M').width || this.charWidth;
    this.updateCrumbs();

    const focus = this.focus;
    const x0 = tree.x[focus];
    const scale = width / tree.total[focus];
    const focusDepth = tree.depth[focus];
    if (this.hitIndex.length < tree.n) {
      this.hitIndex = new Int32Array(tree.n);
      this.hitX = new Float32Array(tree.n);
      this.hitY = new Float32Array(tree.n);
      this.hitW = new Float32Array(tree.n);
    }
    let count = 0;
    const labels: number[] = [];
    let fill = '';
    for (let i = 0; i < tree.n; ) {
      const w = tree.total[i] * scale;
      let left = (tree.x[i] - x0) * scale;
      if (w < MIN_WIDTH_PX || left >= width || left + w <= 0) {
        i = tree.end[i];  // the whole subtree is too thin or off screen
        continue;
      }
      let right = left + w;
      if (left < 0) left = 0;
      if (right > width) right = width;
      const d = tree.depth[i];
      const y = this.orientation === 'icicle' ? d * ROW : (rows - 1 - d) * ROW;
      const color = this.colorOf(i, d < focusDepth);
      if (color !== fill) {
        ctx.fillStyle = color;
        fill = color;
      }
      ctx.fillRect(left, y, Math.max(right - left - 0.5, 0.5), ROW - 1);
      this.hitIndex[count] = i;
      this.hitX[count] = left;
      this.hitY[count] = y;
      this.hitW[count] = right - left;
      count++;
      if (right - left > this.charWidth * 3 + 6) labels.push(count - 1);
      i++;
    }
    this.hitCount = count;
    ctx.fillStyle = '#222';
    for (const k of labels) {
      const i = this.hitIndex[k];
      const room = Math.floor((this.hitW[k] - 6) / this.charWidth);
      let name = tree.name(i);
      if (name.length > room) name = name.slice(0, Math.max(room - 1, 1)) + '…';
      ctx.fillText(name, this.hitX[k] + 3, this.hitY[k] + ROW / 2);
    }
    this.lastPaintMs = performance.now() - t0;
    if (this.firstPaintAt === 0) this.firstPaintAt = performance.now();
    this.paints++;
    this.el.dataset.paints = String(this.paints);
    this.el.dataset.focus = tree.name(focus);
    // The text layer (for screen readers and tests) is built after the paint is on screen.
    // requestIdleCallback runs it once the frame is out; a timeout keeps it prompt when busy.
    if (this.textTimer) window.cancelIdleCallback(this.textTimer);
    this.textTimer = window.requestIdleCallback(() => { this.textTimer = 0; this.buildTextLayer(); }, { timeout: 200 });
  }

  private colorOf(i: number, ancestor: boolean): string {
    const tree = this.tree!;
    if (this.matched && !this.matched[i]) return DIMMED_COLOR;
    const diff = tree.diff;
    let c: string;
    if (diff) {
      const ls = diff.leftSum > 0 ? diff.leftTotal[i] / diff.leftSum : 0;
      const rs = diff.rightSum > 0 ? diff.rightTotal[i] / diff.rightSum : 0;
      c = diffColor(ls, rs, this.opts.palette);
    } else {
      c = this.colors[tree.nameId[i]];
    }
    return ancestor && !this.matched ? c.replace('hsl(', 'hsla(').replace(')', ',0.55)') : c;
  }

  private buildTextLayer(): void {
    const tree = this.tree;
    const items: HTMLElement[] = [];
    if (tree) {
      const n = Math.min(this.hitCount, TEXT_LAYER_MAX);
      for (let k = 0; k < n; k++) {
        const i = this.hitIndex[k];
        const li = document.createElement('li');
        li.dataset.name = tree.name(i);
        li.dataset.total = String(tree.diff ? tree.diff.rightTotal[i] : tree.total[i]);
        li.dataset.self = String(tree.diff ? tree.diff.rightSelf[i] : tree.self[i]);
        li.dataset.depth = String(tree.depth[i]);
        if (this.matched?.[i]) li.dataset.match = 'true';
        li.textContent = `${tree.name(i)}: ${this.describeTotal(i)}`;
        items.push(li);
      }
    }
    this.textLayer.replaceChildren(...items);
    this.textLayer.dataset.paint = String(this.paints);  // which paint it describes
  }

  private describeTotal(i: number): string {
    const tree = this.tree!;
    if (tree.diff) {
      const d = tree.diff;
      return `${formatValue(d.leftTotal[i], this.opts.unit)} → ${formatValue(d.rightTotal[i], this.opts.unit)}`;
    }
    return `${formatValue(tree.total[i], this.opts.unit)} (${formatPercent(tree.total[i], tree.total[0])})`;
  }

  private updateCrumbs(): void {
    const tree = this.tree!;
    this.crumbs.textContent = this.focus === 0 ? '' : `Zoomed to ${tree.name(this.focus)}`;
  }

  private hit(e: MouseEvent): number {
    const r = this.canvas.getBoundingClientRect();
    const mx = e.clientX - r.left;
    const my = e.clientY - r.top;
    for (let k = 0; k < this.hitCount; k++) {
      if (my >= this.hitY[k] && my < this.hitY[k] + ROW && mx >= this.hitX[k] &&
          mx < this.hitX[k] + this.hitW[k]) {
        return this.hitIndex[k];
      }
    }
    return -1;
  }

  private onMove(e: MouseEvent): void {
    const i = this.hit(e);
    if (i < 0 || !this.tree) {
      this.tooltip.hidden = true;
      this.hovered = -1;
      return;
    }
    if (i !== this.hovered) {
      this.hovered = i;
      this.tooltip.replaceChildren(...this.tooltipContent(i));
    }
    this.tooltip.hidden = false;
    const r = this.wrap.getBoundingClientRect();
    const x = e.clientX - r.left + 14;
    const maxX = r.width - this.tooltip.offsetWidth - 4;
    this.tooltip.style.left = `${Math.max(0, Math.min(x, maxX))}px`;
    this.tooltip.style.top = `${e.clientY - r.top + 14}px`;
  }

  private tooltipContent(i: number): Node[] {
    const tree = this.tree!;
    const u = this.opts.unit;
    const name = tree.name(i);
    const rows: Node[] = [h('div', { class: 'tt-name' }, name)];
    const line = (k: string, v: string) => h('div', {}, h('span', { class: 'tt-key' }, k), v);
    if (tree.diff) {
      const d = tree.diff;
      const ls = d.leftSum ? d.leftTotal[i] / d.leftSum : 0;
      const rs = d.rightSum ? d.rightTotal[i] / d.rightSum : 0;
      rows.push(line('Baseline (A)', `${formatValue(d.leftTotal[i], u)} total, ${formatValue(d.leftSelf[i], u)} self (${formatPercent(ls, 1)})`));
      rows.push(line('Comparison (B)', `${formatValue(d.rightTotal[i], u)} total, ${formatValue(d.rightSelf[i], u)} self (${formatPercent(rs, 1)})`));
      rows.push(line('Change', `${formatDelta(d.rightTotal[i] - d.leftTotal[i], u)}, share ${(rs - ls) >= 0 ? '+' : ''}${((rs - ls) * 100).toFixed(2)} pp`));
    } else {
      const all = tree.total[0];
      rows.push(line('Total', `${formatValue(tree.total[i], u)} (${formatPercent(tree.total[i], all)})`));
      rows.push(line('Self', `${formatValue(tree.self[i], u)} (${formatPercent(tree.self[i], all)})`));
      if (this.focus !== 0) rows.push(line('Of zoomed', formatPercent(tree.total[i], tree.total[this.focus])));
    }
    if (name === 'other') {
      const parent = tree.parent[i] >= 0 ? tree.name(tree.parent[i]) : '';
      rows.push(h('div', { class: 'tt-note' },
        `Folds the callees of ${parent} that fell below the node limit: ` +
        `${formatValue(tree.diff ? tree.diff.rightTotal[i] : tree.total[i], u)} ` +
        `(${formatPercent(tree.total[i], tree.total[0])} of the profile) hidden here. Raise “Max nodes” to see them.`));
    }
    rows.push(h('div', { class: 'tt-hint' }, 'Click to zoom · right-click for more'));
    return rows;
  }

  private onClick(e: MouseEvent): void {
    const i = this.hit(e);
    if (i >= 0) this.zoom(i === this.focus ? (this.tree!.parent[i] > 0 ? this.tree!.parent[i] : 0) : i);
  }

  private onMenu(e: MouseEvent): void {
    const i = this.hit(e);
    if (i <= 0) return;
    e.preventDefault();
    const name = this.tree!.name(i);
    const item = (label: string, fn: () => void) => {
      const b = h('button', { type: 'button', role: 'menuitem' }, label);
      b.addEventListener('click', () => { this.menu.hidden = true; fn(); });
      return b;
    };
    this.menu.replaceChildren(
      item('Zoom here', () => this.zoom(i)),
      item('Sandwich view', () => this.opts.onSandwich?.(name)),
      item('Highlight everywhere', () => this.opts.onHighlight?.(name)),
      item('Copy function name', () => void navigator.clipboard?.writeText(name)),
    );
    const r = this.wrap.getBoundingClientRect();
    this.menu.style.left = `${e.clientX - r.left}px`;
    this.menu.style.top = `${e.clientY - r.top}px`;
    this.menu.hidden = false;
  }
}

/** The legend of diff colours. */
export function diffLegend(palette = 'red-green'): HTMLElement {
  const chip = (color: string, label: string) =>
    h('span', { class: 'chip' }, h('i', { style: `background:${color}` }), label);
  return h('div', { class: 'legend', 'data-testid': 'diff-legend' },
    chip(diffColor(1, 0, palette), 'removed'), chip(diffColor(1, 0.4, palette), 'shrank'),
    chip(diffColor(1, 1, palette), 'same share'), chip(diffColor(0.4, 1, palette), 'grew'), chip(diffColor(0, 1, palette), 'new'),
    h('span', { class: 'muted' }, 'width: mean share of A and B; colour: change of share from A (baseline) to B'));
}
