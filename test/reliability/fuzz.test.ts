/**
 * Fuzzed API input (fast-check): for every public function and constructor, random values of
 * every type for every parameter. Each call succeeds or throws/rejects with a LockError
 * subclass, and a failed call leaves held(), the kernel's locks (as a second owner's probes
 * see them), the named lock's file and the fd count exactly as they were. One property per
 * entry point, so one bug hides no other. `npm run soak` runs many more.
 */
import * as fs from 'node:fs';
import { createFuzzer, prepareSandbox, shmFuzzTargets } from '../helpers/rel-fuzz';
import { tmpDir } from '../helpers/paths';
import { freshSeed } from '../helpers/random';

const RUNS = 200;
const sandbox = tmpDir('locksfile-fuzz-');
const fuzzer = createFuzzer({ sandbox, extra: shmFuzzTargets(sandbox) });
const seed = freshSeed();
let closeSandbox: () => void = () => undefined;
let calls = 0;

beforeAll(async () => {
  closeSandbox = await prepareSandbox(sandbox);
});

afterAll(() => {
  fuzzer.close();
  closeSandbox();
  fs.rmSync(sandbox, { recursive: true, force: true });
  process.stdout.write(`fuzz: ${calls} calls, seed ${seed}\n`);
});

test.each(fuzzer.targets.map((t) => [t]))(
  '%s: every input either works or is refused with a typed error, changing nothing',
  async (target) => {
    const result = await fuzzer.run(target, RUNS, seed);
    calls += result.tried;
    expect(result.failure).toBeNull();
    expect(result.tried).toBeGreaterThanOrEqual(RUNS);
  },
  60_000,
);
