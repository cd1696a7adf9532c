/**
 * `npm test`: runs jest's two projects one after the other (see jest.config.js), so that the
 * files that bound durations never share the machine's cores with the stress files:
 * "timing" in band (one file at a time), then "main" with the configured workers. Extra
 * arguments go to both runs. Prints one combined summary line last, in jest's own format
 * ("Tests:       1 failed, 2 skipped, 40 passed, 43 total"), which CI reads; exits non-zero
 * when either run failed.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const jest = require.resolve('jest/bin/jest');
const extra = process.argv.slice(2);
const phases = [
  ['--selectProjects', 'timing', '--runInBand', '--passWithNoTests'],
  ['--selectProjects', 'main', '--passWithNoTests'],
];
const total = { failed: 0, skipped: 0, passed: 0, total: 0 };
let status = 0;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locksfile-jest-'));
phases.forEach((args, i) => {
  const out = path.join(dir, `phase-${i}.json`);
  const run = spawnSync(process.execPath, [jest, ...args, '--json', `--outputFile=${out}`, ...extra], { stdio: 'inherit' });
  if (run.status !== 0) status = run.status ?? 1;
  let result;
  try {
    result = JSON.parse(fs.readFileSync(out, 'utf8'));
  } catch {
    total.failed += 1; // the run died before reporting: count it as a failure, never as a pass
    total.total += 1;
    return;
  }
  total.failed += result.numFailedTests + (result.numRuntimeErrorTestSuites > 0 ? 1 : 0);
  total.skipped += result.numPendingTests + result.numTodoTests;
  total.passed += result.numPassedTests;
  total.total += result.numTotalTests + (result.numRuntimeErrorTestSuites > 0 ? 1 : 0);
});
fs.rmSync(dir, { recursive: true, force: true });
const parts = [];
if (total.failed > 0) parts.push(`${total.failed} failed`);
if (total.skipped > 0) parts.push(`${total.skipped} skipped`);
parts.push(`${total.passed} passed`, `${total.total} total`);
process.stdout.write(`Tests:       ${parts.join(', ')}\n`);
process.exit(status);
