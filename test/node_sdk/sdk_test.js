'use strict';
// End-to-end: a real `hearth server` (argv[2] is the binary), the published
// @pyroscope/nodejs SDK in app.js pushing to it, and the app's own functions found again in
// flame graphs queried back through Hearth's API and Pyroscope's /render.
//
//   node test/node_sdk/sdk_test.js build/hearth      (after `npm ci` in test/node_sdk)
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const assert = require('assert/strict');

const hearth = path.resolve(process.argv[2] || 'build/hearth');
const data = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-node-sdk-'));

function startServer() {
  const srv = spawn(hearth, ['server', '--data', data, '--http-addr', '127.0.0.1:0',
    '--grpc-addr', '127.0.0.1:0', '--no-otlp-http'], { stdio: ['ignore', 'inherit', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    srv.stderr.on('data', (chunk) => {
      process.stderr.write(chunk);
      err += chunk;
      const m = /http :(\d+)/.exec(err);
      if (m) resolve({ srv, port: Number(m[1]) });
    });
    srv.on('exit', (code) => reject(new Error(`hearth server exited with ${code}: ${err}`)));
  });
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: 'inherit', cwd: __dirname });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`))));
  });
}

async function getJson(base, p, params) {
  const url = `${base}${p}?${new URLSearchParams(params)}`;
  const res = await fetch(url);
  const body = await res.text();
  assert.equal(res.status, 200, `${url}: ${body}`);
  return JSON.parse(body);
}

// The SDK names a JavaScript frame "file:function:line"; this is the function.
const fnOf = (frame) => frame.split(':').slice(-2, -1)[0] ?? frame;

// function -> total of the flame graph nodes of that function (Hearth's flat-array form).
function totalsByName(fg) {
  const out = new Map();
  fg.name.forEach((n, i) => {
    const fn = fnOf(fg.names[n]);
    out.set(fn, (out.get(fn) || 0) + fg.total[i]);
  });
  return out;
}

(async () => {
  const { srv, port } = await startServer();
  const base = `http://127.0.0.1:${port}`;
  try {
    await run(process.execPath, ['app.js', base, '7000']);
    const range = { from: 'now-10m', until: 'now+1m' };

    const types = await getJson(base, '/api/v1/profile_types',
      { query: '{service_name="node-sdk-test"}', ...range });
    const ids = types.profile_types.map((t) => t.id);
    console.log('profile types:', ids.join(' '));
    const wall = ids.find((id) => id.startsWith('wall:wall:'));
    assert.ok(wall, `no wall profile type among ${ids}`);
    assert.ok(ids.some((id) => id.startsWith('memory:')), `no heap profile type among ${ids}`);

    const labels = await getJson(base, '/api/v1/label_values',
      { name: 'endpoint', query: '{service_name="node-sdk-test"}', ...range });
    assert.deepEqual(labels.values, ['/api/checkout', '/api/search']);

    // The whole app: both handlers and their leaves are in the flame graph.
    const all = await getJson(base, '/api/v1/merge',
      { query: `${wall}{service_name="node-sdk-test", region="test"}`, ...range });
    const totals = totalsByName(all.groups[0].flamegraph);
    for (const fn of ['hearthHandleSearch', 'hearthSortRows', 'hearthHandleCheckout',
      'hearthDigestLoop']) {
      assert.ok(totals.get(fn) > 0, `${fn} missing from the flame graph`);
    }
    assert.ok(totals.get('hearthSortRows') <= totals.get('hearthHandleSearch'));
    console.log('wall total (ns):', all.groups[0].total, 'search:',
      totals.get('hearthHandleSearch'), 'checkout:', totals.get('hearthHandleCheckout'));

    // The SDK's per-request labels select one handler's samples only.
    const search = await getJson(base, '/api/v1/merge',
      { query: `${wall}{service_name="node-sdk-test", endpoint="/api/search"}`, ...range });
    const s = totalsByName(search.groups[0].flamegraph);
    assert.ok(s.get('hearthHandleSearch') > 0, 'endpoint=/api/search lost hearthHandleSearch');
    assert.equal(s.get('hearthHandleCheckout'), undefined,
      'endpoint=/api/search has hearthHandleCheckout samples');

    // Grafana's path: Pyroscope's /render flamebearer names the same functions.
    const render = await getJson(base, '/pyroscope/render',
      { query: `${wall}{service_name="node-sdk-test"}`, ...range });
    const rendered = render.flamebearer.names.map(fnOf);
    for (const fn of ['hearthHandleSearch', 'hearthHandleCheckout']) {
      assert.ok(rendered.includes(fn), `/render lacks ${fn}`);
    }
    assert.ok(render.flamebearer.numTicks > 0);
    console.log('node SDK test passed');
  } finally {
    srv.kill('SIGTERM');
    await new Promise((r) => srv.on('exit', r));
    fs.rmSync(data, { recursive: true, force: true });
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
