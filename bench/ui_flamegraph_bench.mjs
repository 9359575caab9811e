#!/usr/bin/env node
// Renders a 100,000-node flame graph in headless Chromium (Debian's, via playwright-core)
// and reports the median time to first paint and to a zoom: the UI's canvas renderer
// against a DOM/SVG renderer (d3-flame-graph style: one <g><rect><text> per frame) drawing
// the same tree with the same culling, side by side in the same browser.
//
//   node bench/ui_flamegraph_bench.mjs [--nodes 100000] [--runs 7] [--hearth build/hearth]
//
// First paint = JSON.parse of the API's flat arrays + tree layout + drawing, until the
// frame is presented (requestAnimationFrame, then a task). Zoom = click to presented frame.
// With a built `hearth` (default build/hearth), the same tree is also ingested into a real
// server as folded stacks and opened in the real UI: navigation to the flame graph's first
// paint, end to end (page load, the API's merge, transfer, parse, layout, draw).

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { launchChromium, startServer } from '../test/ui/server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ui = path.join(root, 'ui');
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const N = arg('--nodes', 100000);
const RUNS = arg('--runs', 7);
const hi = process.argv.indexOf('--hearth');
const HEARTH = hi > 0 ? process.argv[hi + 1] : path.join(root, 'build/hearth');

// A deterministic call tree shaped like a real service: a few hot paths, long tails,
// depth up to ~40, 4,000 distinct function names; flat pre-order arrays as /api/v1/merge sends.
function makeTree(n) {
  let seed = 42;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const pkgs = ['net/http', 'main', 'runtime', 'encoding/json', 'database/sql', 'github.com/acme/api/handlers',
    'github.com/acme/api/store', 'crypto/tls', 'sort', 'strings', 'compress/gzip', 'google.golang.org/grpc'];
  const names = Array.from({ length: 4000 }, (_, i) => `${pkgs[i % pkgs.length]}.fn${i}`);
  const children = [[]];
  const nameOf = [0];
  const depth = [0];
  const frontier = [0];
  const used = [new Set()];
  while (nameOf.length < n) {
    // Prefer recent (deeper) nodes, sometimes shallow ones: long stacks and wide fan-out.
    const p = frontier[Math.floor(frontier.length * (1 - rnd() ** 3))] ?? 0;
    if (depth[p] >= 40) continue;
    let name = 1 + Math.floor(rnd() * (names.length - 1));
    while (used[p].has(name)) name = 1 + ((name + 7) % (names.length - 1));  // unique per parent
    used[p].add(name);
    const id = nameOf.length;
    nameOf.push(name);
    used.push(new Set());
    depth.push(depth[p] + 1);
    children.push([]);
    children[p].push(id);
    frontier.push(id);
  }
  const self = nameOf.map((_, i) => (children[i].length === 0 ? 1 + Math.floor(rnd() ** 4 * 100000) : Math.floor(rnd() * 500)));
  self[0] = 0;
  // Pre-order with children in name order, totals bottom-up.
  const out = { parent: [], name: [], self: [], total: [], names: ['total', ...names.slice(1)] };
  const total = new Array(n).fill(0);
  const order = [];
  const stack = [[0, -1]];
  while (stack.length) {
    const [i, p] = stack.pop();
    order.push([i, p]);
    const kids = [...children[i]].sort((a, b) => (out.names[nameOf[b]] < out.names[nameOf[a]] ? -1 : 1));
    for (const c of kids) stack.push([c, i]);
  }
  const pos = new Map();
  for (let k = order.length - 1; k >= 0; k--) {
    const [i] = order[k];
    total[i] = self[i] + children[i].reduce((a, c) => a + total[c], 0);
  }
  order.forEach(([i, p], k) => {
    pos.set(i, k);
    out.parent.push(p < 0 ? -1 : pos.get(p));
    out.name.push(nameOf[i]);
    out.self.push(self[i]);
    out.total.push(total[i]);
  });
  return out;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const require = createRequire(path.join(ui, 'package.json'));
const esbuild = require('esbuild');
const bundle = await esbuild.build({
  entryPoints: [path.join(ui, 'bench/flame_bench.ts')], bundle: true, write: false, format: 'iife',
  target: 'es2020', minify: true, logLevel: 'error',
});
const script = bundle.outputFiles[0].text;
const tree = makeTree(N);
const json = JSON.stringify(tree);
console.log(`tree: ${tree.parent.length.toLocaleString('en')} nodes, ${(json.length / 1048576).toFixed(1)} MiB of JSON, ` +
  `max depth ${Math.max(...(() => { const d = new Int32Array(tree.parent.length); tree.parent.forEach((p, i) => { if (i) d[i] = d[p] + 1; }); return d; })())}`);

const browser = await launchChromium(ui);
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
  // The two renderers alternate run by run, so a busy machine slows both alike.
  const results = { canvas: { first: [], zoom: [], frames: 0, parts: [] }, svg: { first: [], zoom: [], frames: 0 } };
  for (let r = 0; r < RUNS + 1; r++) {  // run 0 warms the JIT and is not counted
    for (const kind of ['canvas', 'svg']) {
      await page.setContent('<!doctype html><body style="margin:0"><div id="host" style="width:1400px"></div></body>');
      await page.addScriptTag({ content: script });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
      const f = await page.evaluate(([k, j]) => window[`${k}FirstPaint`](j), [kind, json]);
      const res = results[kind];
      res.frames = await page.evaluate(() => window.drawnFrames());
      if (kind === 'canvas') res.parts.push(await page.evaluate(() => ({ ...window.parts })));
      const target = await page.evaluate(() => window.zoomTarget());
      const z = await page.evaluate(([k, t]) => window[`${k}Zoom`](t), [kind, target]);
      if (r > 0) { res.first.push(f); res.zoom.push(z); }
    }
  }
  for (const [kind, res] of Object.entries(results)) {
    const { first, zoom, frames } = res;
    res.first = median(first);
    res.zoom = median(zoom);
    console.log(`${kind.padEnd(6)}  first paint ${res.first.toFixed(1)} ms (min ${Math.min(...first).toFixed(1)}), ` +
      `zoom ${res.zoom.toFixed(1)} ms (min ${Math.min(...zoom).toFixed(1)}), ${frames.toLocaleString('en')} frames drawn, median of ${RUNS}`);
  }
  const p = results.canvas.parts.slice(1);
  console.log(`canvas first paint, medians: JSON.parse ${median(p.map((x) => x.parse)).toFixed(1)} ms, ` +
    `layout ${median(p.map((x) => x.layout)).toFixed(1)} ms, draw ${median(p.map((x) => x.draw)).toFixed(1)} ms, ` +
    `the rest is presenting the frame`);
  const c = results.canvas, s = results.svg;
  console.log(`\nhearth canvas vs DOM/SVG: first paint ${(s.first / c.first).toFixed(1)}x faster, zoom ${(s.zoom / c.zoom).toFixed(1)}x faster` +
    ` (aim: first paint < 200 ms: ${c.first < 200 ? 'met' : 'NOT met'})`);
  if (fs.existsSync(HEARTH)) await endToEnd(browser);
  else console.log(`\n(no ${HEARTH}: end-to-end run skipped)`);
} finally {
  await browser.close();
}

/** The tree as folded stacks: one line per node with self value, root excluded. */
function folded(t) {
  const path = new Array(t.parent.length);
  const lines = [];
  for (let i = 1; i < t.parent.length; i++) {
    const name = t.names[t.name[i]];
    path[i] = t.parent[i] > 0 ? `${path[t.parent[i]]};${name}` : name;
    if (t.self[i] > 0) lines.push(`${path[i]} ${t.self[i]}\n`);
  }
  return lines.join('');
}

async function endToEnd(browser) {
  const server = await startServer(HEARTH, { config:
    'limits: {max_samples_per_profile: 1000000, max_body_bytes: 64MiB, max_decompressed_profile_bytes: 1GiB, ' +
    'ingestion_rate_bytes: 1GiB, ingestion_burst_bytes: 1GiB}\n' });
  try {
    const body = zlib.gzipSync(folded(tree));
    const r = await fetch(`${server.url}/ingest?name=bench&format=folded`, {
      method: 'POST', body, headers: { 'Content-Encoding': 'gzip' } });
    if (!r.ok) throw new Error(`ingest: ${r.status} ${await r.text()}`);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
    const url = `${server.url}/?max_nodes=1048576&query=${encodeURIComponent('{service_name="bench"}')}`;
    const times = [];
    let nodes = 0;
    for (let i = 0; i < RUNS + 1; i++) {
      await page.goto(url);
      await page.waitForFunction(() => (window.__hearth?.graphs?.flamegraph?.firstPaintAt ?? 0) > 0, null, { timeout: 120000 });
      const t = await page.evaluate(() => window.__hearth.graphs.flamegraph.firstPaintAt);
      nodes = Number((await page.textContent('[data-testid="summary"]')).match(/([\d,]+) nodes/)[1].replace(/,/g, ''));
      if (i > 0) times.push(t);
    }
    console.log(`\nend to end, real server and UI: ${nodes.toLocaleString('en')}-node flame graph drawn ` +
      `${median(times).toFixed(0)} ms after navigation (min ${Math.min(...times).toFixed(0)}, median of ${RUNS})`);
  } finally {
    await server.cleanup();
  }
}
