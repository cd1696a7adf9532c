/**
 * The benchmark runner: `node test/.build/bench/run.js [--quick] [--only=ids] [--impls=ids]
 * [--reps=n] [--out=dir] [--keep]`. Runs every workload against ours and every peer in this one
 * run, writes `bench/results/<timestamp>.json`, a Markdown report and an SVG chart, and prints
 * the table. Exits 1 when any row FAILED (crash, hang or failed verification).
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CATALOG } from './adapters/catalog';
import { oursStatus, survey } from './adapters/registry';
import { parseArgs, WORKLOAD_IDS } from './harness/config';
import { environment, fsType } from './harness/environment';
import { makeRunDir, removeShmEntries, repoRoot } from './harness/paths';
import { computeRatios } from './harness/ratios';
import { renderConsole } from './harness/report-console';
import { renderMarkdown } from './harness/report-md';
import { renderSvg } from './harness/report-svg';
import type { BenchResult } from './harness/result';
import { evaluateTargets } from './harness/targets';
import type { Row, RunContext } from './harness/types';
import { WORKLOADS } from './workloads/index';

async function main(): Promise<number> {
  const config = parseArgs(process.argv.slice(2));
  const started = new Date();
  const t0 = Date.now();
  const loadAtStart = os.loadavg()[0];
  const log = (m: string): void => {
    process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${m}\n`);
  };
  const unknown = (config.impls ?? []).filter((id) => !CATALOG.some((i) => i.id === id));
  if (unknown.length > 0) throw new Error(`unknown implementation(s) ${unknown.join(', ')}; known: ${CATALOG.map((i) => i.id).join(', ')}`);
  const impls = await survey(config.impls);
  for (const i of impls.filter((x) => x.unavailable !== null)) log(`not run: ${i.info.label}: ${i.unavailable}`);
  const dir = makeRunDir();
  const lockFs = { scratch: `${fsType(dir)} (${dir})`, shm: fsType('/dev/shm') };
  const ctx: RunContext = { config, dir, impls: impls.filter((i) => i.unavailable === null).map((i) => i.info), log };
  const workloads = WORKLOADS.filter((w) => config.only === null || config.only.includes(w.id));
  log(`${config.quick ? 'quick' : 'full'} run: ${workloads.map((w) => w.id).join(', ')}; ${ctx.impls.length} implementations; scratch ${dir}`);
  const rows: Row[] = [];
  try {
    for (const w of workloads) {
      log(`${w.id}: ${w.title}`);
      rows.push(...(await w.run(ctx)));
    }
  } finally {
    removeShmEntries(dir);
    if (!config.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
  const ours = oursStatus();
  const result: BenchResult = {
    timestamp: started.toISOString(),
    mode: config.quick ? 'quick' : 'full',
    reps: config.reps,
    durationS: (Date.now() - t0) / 1000,
    environment: environment(loadAtStart, lockFs),
    ours,
    impls: impls.map((i) => ({ ...i.info, unavailable: i.unavailable })),
    workloads: workloads.map((w) => ({ id: w.id, title: w.title, primary: w.primary })),
    rows,
    ratios: computeRatios(workloads, rows),
    targets: evaluateTargets(rows),
    failed: rows.filter((r) => r.status === 'FAILED').length,
  };
  const outDir = config.outDir ?? path.join(repoRoot(), 'bench', 'results');
  fs.mkdirSync(outDir, { recursive: true });
  const stem = result.timestamp.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  fs.writeFileSync(path.join(outDir, `${stem}.json`), `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(path.join(outDir, `${stem}.svg`), renderSvg(result));
  fs.writeFileSync(path.join(outDir, `${stem}.md`), renderMarkdown(result, `${stem}.svg`));
  process.stdout.write(`${renderConsole(result)}\n\n`);
  log(`wrote ${path.join(outDir, stem)}.{json,md,svg}${result.failed > 0 ? `; ${result.failed} row(s) FAILED` : ''}`);
  return result.failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\nworkloads: ${WORKLOAD_IDS.join(', ')}\n`);
    process.exit(2);
  },
);
