/**
 * The per-test scratch directory of the cross-process tests: a fresh temp dir before each
 * test; after it, every child still running is killed and the dir removed.
 */
import { afterEach, beforeEach } from '@jest/globals';
import * as fs from 'node:fs';
import { killAll } from './children';
import { tmpDir } from './paths';

/** Registers the hooks; the returned function gives the current test's directory. */
export function useScratchDir(prefix?: string): () => string {
  let dir = '';
  beforeEach(() => {
    dir = tmpDir(prefix);
  });
  afterEach(async () => {
    await killAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return () => dir;
}
