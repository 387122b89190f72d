import { defineConfig } from 'vite';

// Everything bundled into dist/ (served by the shell at / under a strict CSP: no inline script
// or style, so Vite's module preload polyfill, which injects an inline script, is off).
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
