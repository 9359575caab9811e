// The web UI end to end: a real `hearth server` (free ports, temp data dir) with the Go and
// OTLP fixtures ingested, driven in Debian's headless Chromium through playwright-core.
// Checks what people see against independent references: the top table against
// `go tool pprof -top` (testdata), the search share against pprof's cum%, the diff table
// against `pprof -diff_base`, the span view against the OTLP fixture's own samples, and the
// pprof download through `hearth top`. Screenshots of every view go to SHOTS_DIR.
//
//   node test/ui/ui_e2e_test.mjs build/hearth build/ui-screenshots

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { launchChromium, startServer } from './server.mjs';

const [hearth, shotsDir] = process.argv.slice(2);
if (!hearth || !shotsDir) {
  console.error('usage: ui_e2e_test.mjs HEARTH_BINARY SCREENSHOT_DIR');
  process.exit(2);
}
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(root, 'testdata/fixtures');
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
fs.mkdirSync(shotsDir, { recursive: true });
for (const f of fs.readdirSync(shotsDir)) if (f.endsWith('.png')) fs.rmSync(path.join(shotsDir, f));

/** Rows of a `go tool pprof -top` text: [{flat, name}] in order. */
function pprofTop(file) {
  const rows = [];
  let inTable = false;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (/^\s+flat\s+flat%/.test(line)) { inTable = true; continue; }
    const m = inTable && /^\s*(-?[\d.]+\w*)\s+-?[\d.]+%\s+-?[\d.]+%\s+(-?[\d.]+\w*)\s+-?[\d.]+%\s+(.+?)\s*$/.exec(line);
    if (m) rows.push({ flat: m[1], cum: m[2], name: m[3].replace(/ \(inline\)$/, '') });
  }
  return rows;
}

/** Per span id (or trace id), the sum of the OTLP fixture's cpu samples linked to it. */
function otlpSpanTotals(file, key = 'spanId') {
  const req = JSON.parse(fs.readFileSync(file, 'utf8'));
  const dict = req.dictionary;
  const totals = new Map();
  for (const rp of req.resourceProfiles) for (const sp of rp.scopeProfiles) for (const p of sp.profiles) {
    if (dict.stringTable[p.sampleType.typeStrindex] !== 'cpu') continue;
    for (const s of p.samples) {
      const link = dict.linkTable[s.linkIndex ?? 0];
      if (!link || /^0*$/.test(link[key])) continue;
      const v = s.values.reduce((a, x) => a + Number(x), 0);
      totals.set(link[key], (totals.get(link[key]) ?? 0) + v);
    }
  }
  return totals;
}

/**
 * A gzipped pprof with its time_nanos (Profile field 9) set to `ns`: the fixtures were
 * recorded on one morning, the test places them where its time range needs them.
 */
function retimePprof(file, ns) {
  const buf = zlib.gunzipSync(fs.readFileSync(file));
  const out = [];
  const varint = (v) => {
    const bytes = [];
    let x = BigInt(v);
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x > 0n) b |= 0x80;
      bytes.push(b);
    } while (x > 0n);
    return Buffer.from(bytes);
  };
  let i = 0;
  const readVarint = () => {
    let v = 0n, shift = 0n;
    for (;;) {
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const start = i;
    const key = readVarint();
    const field = Number(key >> 3n), wire = Number(key & 7n);
    if (wire === 0) readVarint();
    else if (wire === 2) { const n = Number(readVarint()); i += n; }
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`${file}: unexpected wire type ${wire}`);
    if (field !== 9) out.push(buf.subarray(start, i));
  }
  out.push(varint(9 << 3), varint(ns));
  return zlib.gzipSync(Buffer.concat(out));
}

async function ingest(url, file, name, fromSec, untilSec) {
  const q = new URLSearchParams({ name, from: String(fromSec), until: String(untilSec), format: 'pprof' });
  const body = retimePprof(file, BigInt(fromSec) * 1000000000n);
  const r = await fetch(`${url}/ingest?${q}`, { method: 'POST', body });
  assert.equal(r.status, 200, `ingest ${file}: ${await r.text()}`);
}

const server = await startServer(hearth);
let browser;
let page;
let cli = '';
let downloadedTop = '';
let cliFiltered = '';
let filteredTop = '';
const step = async (name, fn) => {
  process.stdout.write(`ui: ${name} ... `);
  try {
    await fn();
  } catch (e) {
    if (page) await page.screenshot({ path: path.join(shotsDir, `FAILED-${name.replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => {});
    throw e;
  }
  console.log('ok');
};
const shot = (name) => page.screenshot({ path: path.join(shotsDir, `${name}.png`), fullPage: true });
// The text layer is rebuilt after each paint, when the browser is idle: wait until it
// describes the latest paint before reading it.
const textLayerCurrent = (testId) => page.waitForFunction((id) => {
  const graph = document.querySelector(`[data-testid="${id}"]`);
  const layer = document.querySelector(`[data-testid="${id}-nodes"]`);
  return graph && layer && graph.dataset.paints === layer.dataset.paint;
}, testId);
const names = async (testId) => {
  await textLayerCurrent(testId);
  return page.$$eval(`[data-testid="${testId}-nodes"] li`, (lis) => lis.map((l) => l.dataset.name));
};
const rootTotal = async (testId) => {
  await textLayerCurrent(testId);
  return page.$eval(`[data-testid="${testId}-nodes"] li[data-depth="0"]`, (l) => Number(l.dataset.total));
};
const topRows = () => page.$$eval('[data-testid="top-row"]', (trs) => trs.map((t) => t.dataset.name));

try {
  const now = Math.floor(Date.now() / 1000);
  const otlpTime = (now - 1800) * 1000;
  // checkout: the 10 s CPU profile in region eu 20 minutes ago, the 3 s one in us 40 minutes ago.
  await ingest(server.url, `${fixtures}/go/http/cpuburn.profile.10s.pb.gz`, 'checkout{region=eu}', now - 1200, now - 1190);
  await ingest(server.url, `${fixtures}/go/http/cpuburn.profile.3s.pb.gz`, 'checkout{region=us}', now - 2400, now - 2397);
  await ingest(server.url, `${fixtures}/go/http/leaky.heap.pb.gz`, 'leaky', now - 600, now - 590);
  // cpuburn over OTLP/HTTP JSON, with span links, recorded (as far as the server knows) 30
  // minutes ago: the fixture's own time would fall out of the retention some day.
  const otlpRequest = JSON.parse(fs.readFileSync(`${fixtures}/otlp/cpuburn.cpu.10s.json`, 'utf8'));
  for (const rp of otlpRequest.resourceProfiles) for (const sp of rp.scopeProfiles) for (const p of sp.profiles) {
    p.timeUnixNano = String(BigInt(otlpTime) * 1000000n);
  }
  const otlp = await fetch(`${server.url}/v1development/profiles`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(otlpRequest),
  });
  assert.equal(otlp.status, 200, await otlp.text());

  browser = await launchChromium(path.join(root, 'ui'));
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, acceptDownloads: true });
  page = await context.newPage();
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  await step('open the UI and pick a service', async () => {
    const res = await page.goto(`${server.url}/?from=now-3h&until=now`);
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-type'], /text\/html/);
    await page.waitForSelector('select[data-testid="service"] option[value="checkout"]', { state: 'attached' });
    assert.equal(await page.$eval('select[data-testid="type"]', (s) => s.value), CPU);
    await page.selectOption('select[data-testid="service"]', 'checkout');
    await page.waitForSelector('[data-testid="flamegraph-nodes"] li[data-name="main.fib"]', { state: 'attached' });
    assert.match(page.url(), /query=%7Bservice_name%3D%22checkout%22%7D/);
    const shown = await names('flamegraph');
    for (const fn of ['total', 'main.worker', 'main.integrate', 'main.fib', 'runtime.asyncPreempt']) {
      assert.ok(shown.includes(fn), `flame graph shows ${fn} (has ${shown.slice(0, 20).join(', ')})`);
    }
    // Both regions: the 10 s and the 3 s profile (3.61 s + 1.02 s of CPU).
    assert.equal(await rootTotal('flamegraph'), 4630000000);
    await page.waitForSelector('[data-testid="timeline"][data-points="2"]');
    await shot('explore');
  });

  await step('narrow with label autocomplete; top table in pprof order', async () => {
    const input = page.locator('[data-testid="selector"]');
    await input.click();
    await input.press('End');
    await input.press('ArrowLeft');
    await input.pressSequentially(', reg');
    await page.waitForSelector('[data-testid="suggestions"] li[data-value="region"]');
    await input.press('Enter');
    await page.waitForSelector('[data-testid="suggestions"] li[data-value="eu"]');
    await input.pressSequentially('e');
    await input.press('Enter');
    await page.waitForFunction(() => decodeURIComponent(location.search).includes('region="eu"'));
    await page.waitForFunction(() => document.querySelector('[data-testid="flamegraph-nodes"] li[data-depth="0"]')?.dataset.total === '3610000000');
    const want = pprofTop(`${fixtures}/go/pprof_text/http.cpuburn.profile.10s.top.txt`).map((r) => r.name);
    // pprof drops nodes with cum <= 0.02s (nodefraction); the UI lists every function.
    const inPprof = (rows) => rows.filter((n) => want.includes(n));
    const got = await topRows();
    assert.equal(got.length, 111);
    assert.deepEqual(inPprof(got), want, `top table (${got.length} rows) vs pprof (${want.length} rows)`);
    assert.deepEqual(got.slice(0, 10), want.slice(0, 10));
    // Sorting by name and back.
    await page.click('[data-testid="top"] button[data-sort="name"]');
    const byName = await topRows();
    assert.deepEqual(byName, [...byName].sort());
    await page.click('[data-testid="top"] button[data-sort="flat"]');
    assert.deepEqual(inPprof(await topRows()), want);
    await page.fill('[data-testid="top-filter"]', 'sort.');
    assert.ok((await topRows()).every((n) => n.includes('sort.')));
    await page.fill('[data-testid="top-filter"]', '');
  });

  await step('search highlights and shows the matched share', async () => {
    await page.fill('[data-testid="search"]', 'main.fib');
    // pprof: main.fib cum 0.63s of 3.61s = 17.45%.
    await page.waitForFunction(() => document.querySelector('[data-testid="flamegraph-info"]')?.textContent?.includes('17.5%'));
    assert.equal(await page.textContent('[data-testid="flamegraph-info"]'), 'Search matches 17.5% (630 ms of 3.61 s)');
    await shot('search');
    await page.fill('[data-testid="search"]', '');
  });

  await step('tooltip with unit-aware values, zoom on click, reset', async () => {
    const r = await page.evaluate(() => window.__hearth.graphs.flamegraph.rectOf('main.integrate'));
    assert.ok(r, 'main.integrate is drawn');
    await page.mouse.move(r.x + r.width / 2, r.y + r.height / 2);
    await page.waitForSelector('.tooltip:not([hidden])');
    const tip = await page.textContent('.tooltip');
    assert.match(tip, /main\.integrate/);
    // The first main.integrate drawn is the one under main.handleCheckout: 210 ms, 90 ms self.
    assert.match(tip, /Total210 ms \(5\.82%\)Self90 ms \(2\.49%\)/);
    await shot('tooltip');
    await page.mouse.click(r.x + r.width / 2, r.y + r.height / 2);
    await page.waitForSelector('[data-testid="flamegraph"][data-focus="main.integrate"]');
    assert.match(decodeURIComponent(page.url()), /focus=main\.worker;.*main\.integrate/);
    const zoomed = await names('flamegraph');
    assert.ok(zoomed.includes('math.sin'), 'callees of main.integrate are visible');
    assert.ok(!zoomed.includes('main.fib'), 'siblings are not drawn when zoomed');
    await shot('zoom');
    await page.click('[data-testid="flamegraph-reset"]');
    await page.waitForSelector('[data-testid="flamegraph"][data-focus="total"]');
    await page.mouse.click(r.x + r.width / 2, r.y + r.height / 2);
    await page.waitForSelector('[data-testid="flamegraph"][data-focus="main.integrate"]');
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid="flamegraph"][data-focus="total"]');
    // Colour by package, with a legend of the packages that use the most time.
    const packages = await page.$$eval('[data-testid="flamegraph-packages"] .chip', (cs) => cs.map((c) => c.dataset.package));
    assert.deepEqual(packages.slice(0, 3), ['runtime', 'main', 'sort']);
  });

  await step('sandwich view of a function from the top table', async () => {
    await page.click('[data-testid="top-row"][data-name="main.fib"] button');
    await page.waitForSelector('[data-testid="sandwich-callees-nodes"] li[data-depth="0"]', { state: 'attached' });
    assert.equal(await rootTotal('sandwich-callees'), 630000000);
    assert.equal(await rootTotal('sandwich-callers'), 630000000);
    const callers = await names('sandwich-callers');
    assert.equal(callers[0], 'main.fib');
    assert.ok(callers.includes('main.worker'), `callers of main.fib: ${callers.join(', ')}`);
    await shot('sandwich');
    await page.click('[data-testid="tab-both"]');
  });

  await step('pprof download and the CLI command', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="download-pprof"]')]);
    const file = path.join(server.dir, 'download.pb.gz');
    await download.saveAs(file);
    const top = execFileSync(hearth, ['top', file], { encoding: 'utf8' });
    const tmp = path.join(server.dir, 'top.txt');
    fs.writeFileSync(tmp, top);
    const want = pprofTop(`${fixtures}/go/pprof_text/http.cpuburn.profile.10s.top.txt`).slice(0, 10);
    assert.deepEqual(pprofTop(tmp).slice(0, 10), want);
    cli = await page.textContent('[data-testid="cli-command"]');
    assert.match(cli, /^hearth db query --data hearth-data 'process_cpu:cpu:nanoseconds:cpu:nanoseconds\{service_name="checkout", region="eu"\}' --from now-3h --to now --format pprof -o profile\.pb\.gz$/);
    downloadedTop = top;
  });

  await step('frame filters: pprof -hide and -focus', async () => {
    // The reference: go tool pprof with the same filter on the fixture of this selection.
    const fixture = `${fixtures}/go/http/cpuburn.profile.10s.pb.gz`;
    const refFile = path.join(server.dir, 'hide.top.txt');
    fs.writeFileSync(refFile, execFileSync('go', ['tool', 'pprof', '-top', '-hide=^runtime\\.', fixture],
                                           { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
    const want = pprofTop(refFile).map((r) => r.name);
    assert.ok(want.length > 10 && !want.some((n) => n.startsWith('runtime.')), want.join(', '));
    await page.click('[data-testid="filters-summary"]');
    await page.selectOption('[data-testid="filter-preset"]', '^runtime\\.');
    assert.equal(await page.inputValue('[data-testid="filter-hide"]'), '^runtime\\.');
    await page.click('[data-testid="filter-apply"]');
    await page.waitForFunction(() => new URLSearchParams(location.search).get('hide') === '^runtime\\.');
    await page.waitForSelector('[data-testid="flamegraph-nodes"] li[data-name="main.fib"]', { state: 'attached' });
    const shown = await names('flamegraph');
    assert.ok(!shown.some((n) => n.startsWith('runtime.')), `no runtime frames (has ${shown.filter((n) => n.startsWith('runtime.')).join(', ')})`);
    assert.deepEqual((await topRows()).filter((n) => want.includes(n)), want);
    assert.equal(await page.textContent('[data-testid="filters-summary"]'), 'Frames: hiding ^runtime\\.');
    await shot('filters');
    // Only the stacks through main.fib: its cum in pprof's reference, 0.63 s.
    await page.click('[data-testid="filters-summary"]');
    await page.fill('[data-testid="filter-only"]', 'main\\.fib');
    await page.press('[data-testid="filter-only"]', 'Enter');
    await page.waitForFunction(() => new URLSearchParams(location.search).get('only') === 'main\\.fib');
    await page.waitForFunction(() => document.querySelector('[data-testid="flamegraph-nodes"] li[data-depth="0"]')?.dataset.total === '630000000');
    assert.ok(!(await names('flamegraph')).includes('main.integrate'));
    cliFiltered = await page.textContent('[data-testid="cli-command"]');
    assert.match(cliFiltered, / --focus 'main\\\.fib' --hide '\^runtime\\\.' --format pprof -o profile\.pb\.gz$/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="download-pprof"]')]);
    const file = path.join(server.dir, 'filtered.pb.gz');
    await download.saveAs(file);
    filteredTop = execFileSync(hearth, ['top', file], { encoding: 'utf8' });
    assert.match(filteredTop, /Total samples = 630ms/);
    // A filter that matches nothing says so.
    await page.click('[data-testid="filters-summary"]');
    await page.fill('[data-testid="filter-only"]', 'no_such_function');
    await page.click('[data-testid="filter-apply"]');
    await page.waitForSelector('[data-testid="empty"]');
    assert.match(await page.textContent('[data-testid="empty"]'), /No samples are left after the frame filters \(only no_such_function · hiding \^runtime\\\.\)/);
    await page.click('[data-testid="filters-summary"]');
    await page.click('[data-testid="filter-clear"]');
    await page.waitForFunction(() => !/[?&](only|hide)=/.test(location.search));
    await page.waitForFunction(() => document.querySelector('[data-testid="flamegraph-nodes"] li[data-depth="0"]')?.dataset.total === '3610000000');
  });

  await step('timeline: click a point opens that step alone', async () => {
    await page.goto(`${server.url}/?from=now-3h&until=now&query=${encodeURIComponent('{service_name="checkout"}')}`);
    await page.waitForSelector('[data-testid="timeline"][data-points="2"][data-series="1"]');
    await page.selectOption('select[data-testid="group-by"]', 'region');
    await page.waitForSelector('[data-testid="timeline"][data-points="2"][data-series="2"]');
    assert.match(page.url(), /group_by=region/);
    assert.match(await page.textContent('[data-testid="timeline"]'), /region=eu.*region=us|region=us.*region=eu/);
    await shot('timeline-group-by');
    const p = await page.evaluate(() => window.__hearth.timeline.pointPosition(0));
    await page.mouse.click(p.x, p.y);
    await page.waitForSelector('[data-testid="point-banner"]');
    // The first point is the us profile alone (3 s profile: 1.02 s of CPU).
    await page.waitForFunction(() => document.querySelector('[data-testid="flamegraph-nodes"] li[data-depth="0"]')?.dataset.total === '1020000000');
    assert.match(page.url(), /point=1/);
    await shot('timeline-point');
  });

  await step('timeline: drag selects a range; flame graph orientation', async () => {
    await page.goto(`${server.url}/?from=now-3h&until=now&query=${encodeURIComponent('{service_name="checkout"}')}`);
    await page.waitForSelector('[data-testid="timeline"][data-points="2"]');
    const [a, b] = await page.evaluate(() => [0, 1].map((i) => window.__hearth.timeline.pointPosition(i)));
    // From just after the first point to past the second: only the eu profile is selected.
    await page.mouse.move(a.x + 8, a.y);
    await page.mouse.down();
    await page.mouse.move((a.x + b.x) / 2, a.y, { steps: 5 });
    await page.mouse.move(b.x + 20, a.y, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(() => /from=\d{13}&until=\d{13}/.test(location.search));
    await page.waitForFunction(() => document.querySelector('[data-testid="flamegraph-nodes"] li[data-depth="0"]')?.dataset.total === '3610000000');
    await page.selectOption('select[data-testid="orientation"]', 'flame');
    assert.match(page.url(), /orient=flame/);
    // Root at the bottom: the root's row is below main.worker's.
    const root = await page.evaluate(() => window.__hearth.graphs.flamegraph.rectOf('total'));
    const worker = await page.evaluate(() => window.__hearth.graphs.flamegraph.rectOf('main.worker'));
    assert.ok(root.y > worker.y, `flame orientation: root at ${root.y}, main.worker at ${worker.y}`);
    await shot('flame-orientation');
    // Inverted: the functions that use the time directly are the root's children.
    await page.check('[data-testid="invert"]');
    await page.waitForSelector('[data-testid="flamegraph-nodes"] li[data-depth="1"][data-name="runtime.asyncPreempt"]', { state: 'attached' });
    await textLayerCurrent('flamegraph');
    assert.equal(await page.$eval('[data-testid="flamegraph-nodes"] li[data-depth="1"][data-name="runtime.asyncPreempt"]',
      (l) => l.dataset.total), '1230000000');  // pprof: flat 1.23s
    assert.match(page.url(), /invert=1/);
    await shot('inverted');
    await page.uncheck('[data-testid="invert"]');
  });

  await step('compare: side by side, diff flame graph, diff table by change', async () => {
    const q = new URLSearchParams({ type: CPU, from: 'now-3h', until: 'now',
      query: '{service_name="checkout", region="us"}', right_query: '{service_name="checkout", region="eu"}' });
    await page.goto(`${server.url}/compare?${q}`);
    await page.waitForSelector('[data-testid="diff-table-row"]');
    await page.waitForSelector('[data-testid="flamegraph-diff-nodes"] li[data-name="main.fib"]', { state: 'attached' });
    // pprof -diff_base us.pb.gz eu.pb.gz: the functions that changed most, in order.
    const want = pprofTop(`${fixtures}/go/pprof_text/cpuburn.diff_base_10s_vs_3s.top.txt`).slice(0, 5);
    const rows = await page.$$eval('[data-testid="diff-table-row"]', (trs) => trs.slice(0, 5).map((t) => ({
      name: t.dataset.name, change: t.querySelector('td:nth-child(4)').textContent, cls: t.querySelector('td:nth-child(4)').className })));
    assert.deepEqual(rows.map((r) => r.name), want.map((r) => r.name));
    assert.equal(rows[0].change, '+740 ms');  // pprof: 0.74s
    assert.match(rows[0].cls, /grew/);
    assert.equal(await rootTotal('flamegraph-a'), 1020000000);
    assert.equal(await rootTotal('flamegraph-b'), 3610000000);
    assert.ok(await page.isVisible('[data-testid="diff-legend"]'));
    assert.equal(await page.textContent('[data-testid="diff-summary"]'), 'A 1.02 s → B 3.61 s (+2.59 s, +253.9%)');
    await shot('compare');
    await page.selectOption('select[data-testid="palette"]', 'red-blue');
    assert.match(page.url(), /palette=red-blue/);
    // 'removed' is blue now: hsl(215,60%,35%).
    await page.waitForFunction(() => {
      const chip = document.querySelector('[data-testid="diff-legend"] i');
      return chip && getComputedStyle(chip).backgroundColor === 'rgb(36, 80, 143)';
    });
    await page.waitForSelector('[data-testid="diff-table-row"]');
    await shot('compare-colour-blind');
  });

  await step('span view: the samples of one span', async () => {
    const totals = otlpSpanTotals(`${fixtures}/otlp/cpuburn.cpu.10s.json`);
    const [spanId, want] = [...totals.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
    // An absolute range around the profile's time (milliseconds).
    const t = otlpTime;
    await page.goto(`${server.url}/span?span_id=${spanId}&from=${t - 60000}&until=${t + 60000}`);
    await page.waitForSelector('[data-testid="span-banner"]');
    await page.waitForSelector('[data-testid="flamegraph-nodes"] li[data-depth="0"]', { state: 'attached' });
    assert.equal(await rootTotal('flamegraph'), want);
    assert.match(await page.textContent('[data-testid="span-banner"]'), new RegExp(`Span ${spanId}`));
    await shot('span');
    // A trace: every span of it (here: one endpoint's requests), opened from the header box.
    const traces = otlpSpanTotals(`${fixtures}/otlp/cpuburn.cpu.10s.json`, 'traceId');
    const [traceId, traceTotal] = [...traces.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
    assert.ok(traceTotal > want);
    await page.fill('[data-testid="span-input"]', traceId);
    await page.click('[data-testid="span-open"]');
    await page.waitForFunction((id) => location.search.includes(`trace_id=${id}`), traceId);
    await page.waitForFunction((v) => document.querySelector('[data-testid="flamegraph-nodes"] li[data-depth="0"]')?.dataset.total === String(v), traceTotal);
    assert.match(await page.textContent('[data-testid="span-banner"]'), new RegExp(`Trace ${traceId}`));
    await shot('trace');
  });

  await step('empty and error states say what to do', async () => {
    await page.goto(`${server.url}/?from=now-3h&query=${encodeURIComponent('{service_name="nope"}')}`);
    await page.waitForSelector('[data-testid="empty"]');
    assert.match(await page.textContent('[data-testid="empty"]'), /No profiles match .*service_name="nope".*Widen the time range/);
    await shot('empty');
    await page.goto(`${server.url}/?from=now-3h&query=${encodeURIComponent('{service_name=}')}`);
    await page.waitForSelector('.content [data-testid="error"]');
    const err = await page.textContent('.content [data-testid="error"]');
    assert.match(err, /Could not load the profile\..*selector: column \d+: expected a quoted value.*Fix the selector/);
    await shot('error');
  });

  await step('heap profiles in bytes', async () => {
    await page.goto(`${server.url}/?from=now-3h&type=${encodeURIComponent('memory:inuse_space:bytes:space:bytes')}&query=${encodeURIComponent('{service_name="leaky"}')}`);
    await page.waitForSelector('[data-testid="summary"]');
    assert.match(await page.textContent('[data-testid="summary"]'), /Total [\d.]+ (KiB|MiB|B) /);
    await shot('heap');
  });

  await step('"other" nodes say what they fold away', async () => {
    await page.goto(`${server.url}/?from=now-3h&max_nodes=16&query=${encodeURIComponent('{service_name="checkout", region="eu"}')}`);
    await page.waitForSelector('[data-testid="flamegraph-nodes"] li[data-name="other"]', { state: 'attached' });
    assert.match(await page.textContent('[data-testid="summary"]'), / 30 nodes \(small callees folded into “other”/);
    const r = await page.evaluate(() => window.__hearth.graphs.flamegraph.rectOf('other'));
    await page.mouse.move(r.x + r.width / 2, r.y + r.height / 2);
    await page.waitForSelector('.tooltip:not([hidden])');
    assert.match(await page.textContent('.tooltip'), /^otherTotal.*Folds the callees of \S+ that fell below the node limit: [\d.]+ m?s \([\d.]+% of the profile\) hidden here/);
    await shot('other');
  });

  await step('text typed into the selector before the choices load stays', async () => {
    // The service and label lists are held back until the text is typed.
    let release;
    const held = new Promise((r) => { release = r; });
    const hold = async (route) => { await held; await route.continue(); };
    const lists = /\/api\/v1\/(labels|label_values)\?/;
    await page.route(lists, hold);
    await page.goto(`${server.url}/?from=now-3h&until=now`);
    const input = page.locator('[data-testid="selector"]');
    await input.click();
    await input.pressSequentially('{region="us"');
    const services = 'select[data-testid="service"] option[value="checkout"]';
    assert.equal(await page.locator(services).count(), 0, 'the service list is still held back');
    release();
    await page.waitForSelector(services, { state: 'attached' });
    assert.equal(await input.inputValue(), '{region="us"');
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'selector');
    await page.unroute(lists, hold);
  });

  await step('the copied CLI command writes the same profile as the download', async () => {
    await server.stop();  // the store is the server's while it runs
    const cmd = cli.replace('--data hearth-data', `--data '${server.dataDir}'`).replace('-o profile.pb.gz', `-o '${server.dir}/cli.pb.gz'`);
    execFileSync('bash', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: `${path.dirname(path.resolve(hearth))}:${process.env.PATH}` } });
    const top = execFileSync(hearth, ['top', `${server.dir}/cli.pb.gz`], { encoding: 'utf8' });
    const rows = (t) => t.split('\n').filter((l) => !/^(File|Time|Duration):/.test(l));
    assert.deepEqual(rows(top), rows(downloadedTop));
    const filtered = cliFiltered.replace('--data hearth-data', `--data '${server.dataDir}'`).replace('-o profile.pb.gz', `-o '${server.dir}/cli-filtered.pb.gz'`);
    execFileSync('bash', ['-c', filtered], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: `${path.dirname(path.resolve(hearth))}:${process.env.PATH}` } });
    assert.deepEqual(rows(execFileSync(hearth, ['top', `${server.dir}/cli-filtered.pb.gz`], { encoding: 'utf8' })), rows(filteredTop));
  });

  assert.deepEqual(consoleErrors, [], 'no uncaught errors in the page');
  console.log(`ui: all checks passed; screenshots in ${shotsDir}`);
} catch (e) {
  console.error(`\nFAILED: ${e.stack ?? e}\n--- server log ---\n${server.log.join('').slice(-4000)}`);
  process.exitCode = 1;
} finally {
  await browser?.close();
  await server.cleanup();
}
