// Unit tests of the UI's pure modules (formatting, tree layout and search, sandwich trees,
// URL state, selector editing, autocomplete context, package colours), run with node:test
// on the TypeScript sources bundled by esbuild (from ui/node_modules, as Vite uses it).
//
//   node ui/test/unit_test.mjs

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ui = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const esbuild = createRequire(path.join(ui, 'package.json'))('esbuild');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-ui-unit-'));
const modules = ['format', 'tree', 'state', 'colors', 'autocomplete', 'filters'];
await esbuild.build({
  entryPoints: modules.map((m) => path.join(ui, 'src', `${m}.ts`)),
  bundle: true, format: 'esm', platform: 'neutral', outdir: out, outExtension: { '.js': '.mjs' }, logLevel: 'error',
});
const [format, tree, state, colors, autocomplete, filters] = await Promise.all(
  modules.map((m) => import(pathToFileURL(path.join(out, `${m}.mjs`)).href)));
process.on('exit', () => fs.rmSync(out, { recursive: true, force: true }));

test('values are formatted in their unit', () => {
  const f = format.formatValue;
  assert.equal(f(1230000000, 'nanoseconds'), '1.23 s');
  assert.equal(f(630000000, 'nanoseconds'), '630 ms');
  assert.equal(f(90e9, 'nanoseconds'), '1.50 min');
  assert.equal(f(1500, 'nanoseconds'), '1.50 µs');
  assert.equal(f(0, 'nanoseconds'), '0 ns');
  assert.equal(f(1536, 'bytes'), '1.50 KiB');
  assert.equal(f(5 * 1024 ** 2, 'bytes'), '5 MiB');
  assert.equal(f(3.5 * 1024 ** 3, 'bytes'), '3.50 GiB');
  assert.equal(f(1500, 'count'), '1.50k');
  assert.equal(f(42, 'count'), '42');
  assert.equal(f(2, 'seconds'), '2 s');
  assert.equal(format.formatPercent(630, 3610), '17.5%');
  assert.equal(format.formatPercent(90, 3610), '2.49%');
  assert.equal(format.formatDelta(-740e6, 'nanoseconds'), '−740 ms');
  assert.equal(format.formatTime(Date.UTC(2026, 10, 26, 7, 35, 38)), '2026-11-26T07:35:38Z');
});

// total 10: a (5: b 3, c 2), d 5
function small() {
  const b = new tree.TreeBuilder('total');
  b.add(['a', 'b'], 3);
  b.add(['a', 'c'], 2);
  b.add(['d'], 5);
  return b.build();
}

test('layout: pre-order, offsets, depths and subtree ends', () => {
  const t = small();
  assert.deepEqual([...Array(t.n).keys()].map((i) => t.name(i)), ['total', 'a', 'b', 'c', 'd']);
  assert.deepEqual([...t.parent], [-1, 0, 1, 1, 0]);
  assert.deepEqual([...t.total], [10, 5, 3, 2, 5]);
  assert.deepEqual([...t.x], [0, 0, 0, 3, 5]);
  assert.deepEqual([...t.depth], [0, 1, 2, 2, 1]);
  assert.deepEqual([...t.end], [5, 4, 3, 4, 5]);
  assert.equal(t.maxDepth, 2);
  assert.equal(t.path(3), 'a;c');
  assert.equal(t.findPath('a;c'), 3);
  assert.equal(t.findPath('a;zzz'), 1, 'a path that no longer exists stops at what does');
  assert.equal(t.findPath(''), 0);
});

test('the flat form of the API loads as is', () => {
  const t = tree.FlameTree.fromFlat({ parent: [-1, 0, 1, 0], name: [0, 1, 2, 3], self: [0, 1, 4, 5],
    total: [10, 5, 4, 5], names: ['total', 'main', 'fib', 'gc'] });
  assert.deepEqual([...t.x], [0, 0, 0, 5]);
  assert.equal(t.name(2), 'fib');
});

test('search counts nested matches once', () => {
  const b = new tree.TreeBuilder('total');
  b.add(['fib', 'fib', 'fib'], 4);
  b.add(['fib', 'x'], 1);
  b.add(['main'], 5);
  const t = b.build();
  const r = t.search(tree.matcher('fib'));
  assert.equal(r.value, 5);
  assert.equal([...r.matched].filter(Boolean).length, 3);
  assert.deepEqual(t.outermost('fib').map((i) => t.path(i)), ['fib']);
  // Sandwich: fib's callees merge the outermost subtree; its callers lead up to the root.
  const callees = t.callees('fib');
  assert.equal(callees.total[0], 5);
  assert.deepEqual([...Array(callees.n).keys()].map((i) => callees.path(i)), ['', 'fib', 'fib;fib', 'x']);
  const callers = t.callers('fib');
  assert.equal(callers.n, 1, 'fib is called from the root only');
  assert.equal(callers.total[0], 5);
});

test('callers of a function called from two places', () => {
  const b = new tree.TreeBuilder('total');
  b.add(['main', 'a', 'work'], 3);
  b.add(['main', 'b', 'work', 'leaf'], 2);
  const t = b.build();
  const c = t.callers('work');
  assert.deepEqual([...Array(c.n).keys()].map((i) => `${c.path(i)}=${c.total[i]}`),
    ['=5', 'a=3', 'a;main=3', 'b=2', 'b;main=2']);
  const e = t.callees('work');
  assert.deepEqual([...Array(e.n).keys()].map((i) => `${e.path(i)}=${e.total[i]}`), ['=5', 'leaf=2']);
});

test('inverted tree: the functions with self value on top, their callers below', () => {
  const b = new tree.TreeBuilder('total');
  b.add(['main', 'a', 'work'], 3);
  b.add(['main', 'b', 'work'], 2);
  b.add(['main', 'b'], 1);
  const inv = b.build().inverted();
  assert.deepEqual([...Array(inv.n).keys()].map((i) => `${inv.path(i)}=${inv.total[i]}/${inv.self[i]}`),
    ['=6/0', 'b=1/0', 'b;main=1/1', 'work=5/0', 'work;a=3/0', 'work;a;main=3/3', 'work;b=2/0', 'work;b;main=2/2']);
});

test('search syntax: substring, /regex/, =exact', () => {
  assert.equal(tree.matcher(''), null);
  assert.ok(tree.matcher('FIB')('main.fib'));
  assert.ok(!tree.matcher('=main.fib')('main.fibonacci'));
  assert.ok(tree.matcher('=main.fib')('main.fib'));
  assert.ok(tree.matcher('/^sort\\./')('sort.Sort'));
  assert.ok(!tree.matcher('/^sort\\./')('main.sort'));
  assert.ok(!tree.matcher('/(/')('x'), 'a bad regex matches nothing instead of throwing');
});

test('diff trees are as wide as the mean share of both sides', () => {
  const t = tree.FlameTree.fromDiff({ parent: [-1, 0, 0], name: [0, 1, 2], names: ['total', 'a', 'b'],
    left_self: [0, 10, 0], left_total: [10, 10, 0], right_self: [0, 10, 20], right_total: [30, 10, 20] }, 10, 30);
  assert.ok(Math.abs(t.total[0] - 1) < 1e-12);
  assert.ok(Math.abs(t.total[1] - (0.5 * (1 + 1 / 3))) < 1e-12);
  assert.ok(Math.abs(t.total[2] - (0.5 * (2 / 3))) < 1e-12);
  assert.equal(colors.diffColor(0, 0.5), 'hsl(0,85%,45%)', 'new');
  assert.equal(colors.diffColor(0.5, 0), 'hsl(140,60%,35%)', 'removed');
  assert.equal(colors.diffColor(0.5, 0.5), 'hsl(0,0%,82%)', 'same share');
  assert.match(colors.diffColor(0.2, 0.4), /^hsl\(0,/);
  assert.match(colors.diffColor(0.4, 0.2), /^hsl\(140,/);
  assert.equal(colors.diffColor(0.5, 0, 'red-blue'), 'hsl(215,60%,35%)', 'colour-blind safe: removed in blue');
  assert.match(colors.diffColor(0.4, 0.2, 'red-blue'), /^hsl\(215,/);
  assert.equal(colors.diffColor(0, 0.5, 'red-blue'), 'hsl(0,85%,45%)');
});

test('packages of function names', () => {
  assert.equal(colors.packageOf('net/http.(*conn).serve'), 'net/http');
  assert.equal(colors.packageOf('main.fib'), 'main');
  assert.equal(colors.packageOf('strconv.(*decimal).Assign'), 'strconv');
  assert.equal(colors.packageOf('sort.IntSlice.Less'), 'sort');
  assert.equal(colors.packageOf('github.com/acme/api/store.(*DB).Get'), 'github.com/acme/api/store');
  assert.equal(colors.packageOf('std::vector<int>::push_back'), 'std');
  assert.equal(colors.packageOf('java.util.HashMap.get'), 'java.util');
  assert.equal(colors.packageOf('[kernel.kallsyms]'), '[kernel.kallsyms]');
  assert.equal(colors.packageColor('main'), colors.packageColor('main'));
});

test('URL state round trip', () => {
  const s = state.parseUrl({ pathname: '/compare', search: '?type=process_cpu%3Acpu%3Ananoseconds%3Acpu%3Ananoseconds' +
    '&query=%7Bservice_name%3D%22api%22%7D&from=now-6h&right_query=%7Bregion%3D%22eu%22%7D&tab=sandwich&fn=main.fib' +
    '&only=main%5C.handle&hide=%5Eruntime%5C.' });
  assert.equal(s.view, 'compare');
  assert.equal(s.query, '{service_name="api"}');
  assert.equal(s.until, 'now', 'defaults fill what the URL leaves out');
  assert.equal(s.tab, 'sandwich');
  assert.equal(s.only, 'main\\.handle');
  assert.equal(s.hide, '^runtime\\.');
  assert.deepEqual(state.frameParams(s), { focus: 'main\\.handle', ignore: '', hide: '^runtime\\.' });
  const again = state.parseUrl(new URL(`http://x${state.toUrl(s)}`));
  assert.deepEqual(again, s);
  assert.equal(state.toUrl({ ...s, view: 'single', tab: 'both', fn: '', rightQuery: '', query: '', from: 'now-1h', type: '',
                             only: '', hide: '' }), '/');
  assert.equal(state.parseUrl({ pathname: '/', search: '?tab=bogus&orient=sideways' }).tab, 'both');
});

test('selectors: set, replace and remove one matcher', () => {
  assert.equal(state.setMatcher('', 'service_name', 'api'), '{service_name="api"}');
  assert.equal(state.setMatcher('{service_name="x", region=~"eu-.*"}', 'service_name', 'api'),
    '{service_name="api", region=~"eu-.*"}');
  assert.equal(state.setMatcher('{service_name="x", region="a,b"}', 'service_name', ''), '{region="a,b"}');
  assert.equal(state.setMatcher('{service_name="x"}', 'service_name', ''), '');
  assert.equal(state.matcherValue('{region="eu", service_name="a\\"b"}', 'service_name'), 'a"b');
  assert.equal(state.matcherValue('{service_name=~"a.*"}', 'service_name'), '');
  assert.equal(state.selector('memory', ''), 'memory{}');
  assert.equal(state.selector('memory', 'a="b"'), 'memory{a="b"}');
});

test('the CLI command is shell-quoted', () => {
  const s = state.parseUrl({ pathname: '/span', search: '' });
  const cmd = state.cliCommand({ ...s, type: 'process_cpu', query: `{team="o'neil"}`, from: '2026-11-26T07:00:00Z', spanId: 'ab,cd' });
  assert.equal(cmd, `hearth db query --data hearth-data 'process_cpu{team="o'\\''neil"}' --from 2026-11-26T07:00:00Z ` +
    '--to now --span-id ab --span-id cd --format pprof -o profile.pb.gz');
  const filtered = state.cliCommand({ ...s, type: 'process_cpu', only: 'main\\.fib', without: 'gc', hide: '^runtime\\.|libc' });
  assert.equal(filtered, `hearth db query --data hearth-data 'process_cpu{}' --from now-1h --to now ` +
    `--focus 'main\\.fib' --ignore gc --hide '^runtime\\.|libc' --format pprof -o profile.pb.gz`);
});

test('frame filters in a few words', () => {
  assert.equal(filters.describeFilters({ only: '', without: '', hide: '' }), '');
  assert.equal(filters.describeFilters({ only: 'a', without: 'b', hide: 'c' }), 'only a · without b · hiding c');
});

test('autocomplete knows whether a name or a value is being typed', () => {
  const c = autocomplete.completionContext;
  assert.deepEqual(c('{', 1), { kind: 'name', label: '', prefix: '', start: 1 });
  assert.deepEqual(c('{service_name="api", reg', 24), { kind: 'name', label: '', prefix: 'reg', start: 21 });
  assert.deepEqual(c('{region=~"e', 11), { kind: 'value', label: 'region', prefix: 'e', start: 10 });
  assert.deepEqual(c('{a="x\\"y', 8), { kind: 'value', label: 'a', prefix: 'x\\"y', start: 4 });
  assert.equal(c('{a="x"', 6), null, 'after a closed value nothing is suggested');
});
