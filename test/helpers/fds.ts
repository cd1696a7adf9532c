/**
 * Open descriptors of this process that point into a directory, from /proc/self/fd. Counting
 * only those keeps "no descriptor was opened or leaked" checks exact while unrelated threads
 * (jest, idle lock-waiter threads exiting with their event loops) open and close their own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Targets of this process's descriptors that lie under `dir` (sorted). */
export function fdsUnder(dir: string): string[] {
  const prefix = `${path.resolve(dir)}${path.sep}`;
  const out: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed meanwhile (e.g. the directory listing's own descriptor)
    }
    if (target.startsWith(prefix)) out.push(target);
  }
  return out.sort();
}
