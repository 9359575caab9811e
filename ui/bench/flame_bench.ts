// Browser side of bench/ui_flamegraph_bench.mjs: the UI's real canvas FlameGraph, and a
// DOM/SVG renderer (one <g><rect><text> per visible frame, as d3-flame-graph draws) for
// comparison, on the same tree. Each call resolves once the frame has been presented.

import { FlameGraph } from '../src/flamegraph';
import { FlameTree } from '../src/tree';
import type { FlatTree } from '../src/api';

const nextFrame = () => new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 0)));
const SVG = 'http://www.w3.org/2000/svg';
const ROW = 18;

let graph: FlameGraph | null = null;
let tree: FlameTree | null = null;

function host(): HTMLElement {
  const el = document.getElementById('host')!;
  el.replaceChildren();
  return el;
}

/** Where the time of the last canvas first paint went. */
const parts = { parse: 0, layout: 0, draw: 0 };

async function canvasFirstPaint(json: string): Promise<number> {
  const t0 = performance.now();
  const flat = JSON.parse(json) as FlatTree;
  const t1 = performance.now();
  tree = FlameTree.fromFlat(flat);
  const t2 = performance.now();
  graph = new FlameGraph({ testId: 'bench', unit: 'nanoseconds' });
  host().append(graph.el);
  graph.setTree(tree);
  Object.assign(parts, { parse: t1 - t0, layout: t2 - t1, draw: graph.lastPaintMs });
  await nextFrame();
  return performance.now() - t0;
}

async function canvasZoom(node: number): Promise<number> {
  const t0 = performance.now();
  graph!.zoom(node);
  await nextFrame();
  return performance.now() - t0;
}

// The DOM/SVG peer: same culling (frames under half a pixel skipped) and label rule.
function svgDraw(t: FlameTree, focus: number, el: HTMLElement): void {
  const width = el.clientWidth;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String((t.maxDepth + 1) * ROW));
  svg.style.font = '11px monospace';
  const x0 = t.x[focus];
  const scale = width / t.total[focus];
  for (let i = 0; i < t.n; ) {
    const w = t.total[i] * scale;
    const left = (t.x[i] - x0) * scale;
    if (w < 0.5 || left >= width || left + w <= 0) { i = t.end[i]; continue; }
    const l = Math.max(0, left), r = Math.min(width, left + w);
    const g = document.createElementNS(SVG, 'g');
    g.setAttribute('transform', `translate(${l},${t.depth[i] * ROW})`);
    const rect = document.createElementNS(SVG, 'rect');
    rect.setAttribute('width', String(Math.max(r - l - 0.5, 0.5)));
    rect.setAttribute('height', String(ROW - 1));
    rect.setAttribute('fill', `hsl(${(t.nameId[i] * 37) % 50 + 8},70%,62%)`);
    const title = document.createElementNS(SVG, 'title');
    title.textContent = t.name(i);
    g.append(rect, title);
    if (r - l > 26) {
      const text = document.createElementNS(SVG, 'text');
      text.setAttribute('x', '3');
      text.setAttribute('y', String(ROW - 5));
      const room = Math.floor((r - l - 6) / 6.6);
      const name = t.name(i);
      text.textContent = name.length > room ? name.slice(0, Math.max(room - 1, 1)) + '…' : name;
      g.append(text);
    }
    svg.append(g);
    i++;
  }
  el.replaceChildren(svg);
}

async function svgFirstPaint(json: string): Promise<number> {
  const t0 = performance.now();
  tree = FlameTree.fromFlat(JSON.parse(json) as FlatTree);
  svgDraw(tree, 0, host());
  await nextFrame();
  return performance.now() - t0;
}

async function svgZoom(node: number): Promise<number> {
  const t0 = performance.now();
  svgDraw(tree!, node, document.getElementById('host')!);
  await nextFrame();
  return performance.now() - t0;
}

/** A node to zoom into: the widest one at depth 3 (a realistic click). */
function zoomTarget(): number {
  const t = tree!;
  let best = 0;
  for (let i = 1; i < t.n; i++) if (t.depth[i] === 3 && t.total[i] > t.total[best === 0 ? i : best]) best = i;
  return best;
}

function drawnFrames(): number {
  return graph ? graph.visibleNames().length : document.querySelectorAll('#host g').length;
}

Object.assign(window, { parts, canvasFirstPaint, canvasZoom, svgFirstPaint, svgZoom, zoomTarget, drawnFrames });
