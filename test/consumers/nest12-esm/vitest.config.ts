import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// SWC, as Nest's vitest recipe does: esbuild emits no decorator metadata, which Nest's DI needs.
export default defineConfig({
  test: { include: ['src/**/*.test.ts'], testTimeout: 20_000 },
  plugins: [swc.vite({ module: { type: 'es6' } })],
});
