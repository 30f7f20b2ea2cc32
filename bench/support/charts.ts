import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchChart } from './report';

const CHARTS = join(__dirname, '..', 'charts');
const RENDERER = join(__dirname, 'render-chart.mjs');

/** Renders a Vega-Lite chart to bench/charts/<file>.svg (render-chart.mjs); returns the file's path. */
export async function writeChart(chart: BenchChart): Promise<string> {
  mkdirSync(CHARTS, { recursive: true });
  const path = join(CHARTS, `${chart.file}.svg`);
  await new Promise<void>((resolve, reject) => {
    const child = execFile(process.execPath, [RENDERER, path], { timeout: 60_000 }, (error, _stdout, stderr) =>
      error === null ? resolve() : reject(new Error(`render-chart.mjs failed: ${stderr || error.message}`)),
    );
    child.stdin?.end(JSON.stringify(chart.spec));
  });
  return path;
}
