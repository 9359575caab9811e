// Starts a real `hearth server` on free loopback ports with a temporary data directory,
// and stops it. Shared by the UI end-to-end test and the UI benchmark.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export async function startServer(hearth, { config } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-ui-'));
  const extra = [];
  if (config) {
    fs.writeFileSync(path.join(dir, 'hearth.yaml'), config);
    extra.push('--config', path.join(dir, 'hearth.yaml'));
  }
  const httpPort = await freePort();
  const grpcPort = await freePort();
  const log = [];
  const proc = spawn(hearth, ['server', '--data', path.join(dir, 'data'), '--http-addr', `127.0.0.1:${httpPort}`,
    '--grpc-addr', `127.0.0.1:${grpcPort}`, '--no-otlp-http', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.on('data', (d) => log.push(String(d)));
  proc.stderr.on('data', (d) => log.push(String(d)));
  let exited = null;
  proc.on('exit', (code) => { exited = code; });
  const url = `http://127.0.0.1:${httpPort}`;
  for (let i = 0; ; i++) {
    if (exited !== null) throw new Error(`hearth server exited with ${exited}:\n${log.join('')}`);
    try {
      const r = await fetch(`${url}/ready`);
      if (r.ok) break;
    } catch { /* not listening yet */ }
    if (i > 300) throw new Error(`hearth server not ready after 30 s:\n${log.join('')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    dir,
    dataDir: path.join(dir, 'data'),
    log,
    /** SIGTERM (the server flushes its store and exits); the data directory stays. */
    async stop() {
      if (exited === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.on('exit', r));
      }
    },
    async cleanup() {
      await this.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Launches Debian's Chromium headless through playwright-core (no browser downloads). */
export async function launchChromium(uiDir) {
  const { createRequire } = await import('node:module');
  const require = createRequire(path.join(uiDir, 'package.json'));
  let playwright;
  try {
    playwright = require('playwright-core');
  } catch (e) {
    throw new Error(`playwright-core is not installed in ${uiDir}: run scripts/deps.sh (npm ci) (${e.message})`);
  }
  const executablePath = process.env.HEARTH_CHROMIUM ?? '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) {
    throw new Error(`${executablePath} is missing: run scripts/deps.sh (installs Debian's chromium)`);
  }
  return playwright.chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}
