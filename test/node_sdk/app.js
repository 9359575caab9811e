'use strict';
// A small Node.js service profiled by the published @pyroscope/nodejs SDK, pushing to the
// Hearth server given as argv[2]. Its functions have distinctive names so the test can find
// them in the flame graph it queries back.
const Pyroscope = require('@pyroscope/nodejs');
const crypto = require('crypto');

Pyroscope.init({
  serverAddress: process.argv[2],
  appName: 'node-sdk-test',
  tags: { region: 'test' },
  flushIntervalMs: 2000,
  wall: { samplingIntervalMicros: 10000, collectCpuTime: true },
  heap: { samplingIntervalBytes: 32 * 1024, stackDepth: 64 },
});
Pyroscope.start();

function hearthDigestLoop(n) {
  let h = Buffer.from('seed');
  for (let i = 0; i < n; i++) h = crypto.createHash('sha256').update(h).digest();
  return h;
}

function hearthSortRows(n) {
  const rows = [];
  for (let i = 0; i < n; i++) rows.push({ k: (i * 2654435761) % 1000003, v: 'row' + i });
  rows.sort((a, b) => a.k - b.k);
  return rows[0];
}

function hearthHandleSearch() { hearthSortRows(20000); }
function hearthHandleCheckout() { hearthDigestLoop(3000); }

(async () => {
  const end = Date.now() + Number(process.argv[3] || 7000);
  let i = 0;
  await new Promise((resolve) => {
    (function step() {
      const endpoint = i % 2 ? '/api/search' : '/api/checkout';
      Pyroscope.wrapWithLabels({ endpoint }, () => {
        if (i % 2) hearthHandleSearch(); else hearthHandleCheckout();
      });
      i++;
      if (Date.now() < end) setImmediate(step); else resolve();
    })();
  });
  await Pyroscope.stop();
  console.log(`node-sdk-test: ${i} requests, stopped`);
})();
