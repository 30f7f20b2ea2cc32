// Renders the Vega-Lite specification read from stdin to the SVG file named by the first argument: compiled by
// vega-lite, drawn by vega's headless SVG renderer (no browser, no canvas). Both are ESM-only with top-level
// await, which the benchmarks' CommonJS runner cannot require, hence this script of its own.
import { writeFileSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import { View, parse } from 'vega';
import { compile } from 'vega-lite';

const view = new View(parse(compile(JSON.parse(await text(process.stdin))).spec), { renderer: 'none' });
try {
  writeFileSync(process.argv[2], await view.toSVG());
} finally {
  view.finalize();
}
