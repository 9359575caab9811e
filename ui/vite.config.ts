// `npm run dev` serves the UI with hot reload and forwards API calls to a running
// `hearth server` (HEARTH_URL, default http://localhost:4040). `npm run build` writes dist/
// (CMake passes --outDir <build>/ui-dist and embeds it into the hearth binary).
import { defineConfig } from 'vite';

const target = process.env.HEARTH_URL ?? 'http://localhost:4040';

export default defineConfig({
  build: { target: 'es2020', sourcemap: false, chunkSizeWarningLimit: 400 },
  server: { proxy: { '/api': target } },
});
