/**
 * The kernel's own view of the locks on a file, read from `/proc/locks`: who holds what and
 * who is blocked waiting. Tests use it as an observer that is neither the library nor the
 * test's owner: "the child is now blocked in the kernel" is proven by its "->" line, not by
 * a sleep that a loaded machine can outrun.
 *
 * A `/proc/locks` line looks like `1: POSIX  ADVISORY  WRITE 1234 fe:00:2147025 5 7` for a
 * lock and `1: -> OFDLCK ADVISORY  WRITE -1 fe:00:2147025 0 0` for a request blocked on it
 * (pid -1: the kernel does not name the process of an OFD lock); the last two fields are
 * the first and last byte (`EOF` for "to the end").
 */
import * as fs from 'node:fs';
import { LINE_TIMEOUT_MS } from './children';

/** One line of `/proc/locks` about the file. */
export interface KernelLock {
  /** `'POSIX'` (record lock, process-owned), `'OFDLCK'` (open file description lock), `'FLOCK'`. */
  readonly kind: string;
  /** True for a request blocked on another lock ("->" line), false for a granted lock. */
  readonly blocked: boolean;
  readonly write: boolean;
  /** Holder's pid for POSIX locks; -1 for OFD locks. */
  readonly pid: number;
  readonly start: number;
  /** Last byte, inclusive; `Infinity` for "to the end of the file". */
  readonly last: number;
}

/**
 * Every lock and blocked request the kernel lists for the file at `path` now. /proc/locks is
 * read in several chunks when it is long (other tests' locks), and an entry that moves between
 * two chunks can be listed twice or not at all; so it is read until two reads in a row agree.
 */
export function kernelLocks(path: string): KernelLock[] {
  const inode = fs.statSync(path).ino;
  let previous = '';
  for (let read = 0; ; read++) {
    const found = readKernelLocks(inode);
    const text = JSON.stringify(found);
    if (text === previous || read === 20) return found;
    previous = text;
  }
}

/** One read of /proc/locks: the entries of the file with inode `inode`. */
function readKernelLocks(inode: number): KernelLock[] {
  const found: KernelLock[] = [];
  for (const line of fs.readFileSync('/proc/locks', 'utf8').split('\n')) {
    const fields = line.trim().split(/\s+/);
    const blocked = fields[1] === '->';
    const f = blocked ? fields.slice(2) : fields.slice(1);
    // kind ADVISORY|MANDATORY mode pid maj:min:inode start end
    const [kind, , mode, pid, id, start, last] = f;
    if (id === undefined || last === undefined || Number(id.split(':')[2]) !== inode) continue;
    found.push({ kind: kind ?? '', blocked, write: mode === 'WRITE', pid: Number(pid), start: Number(start), last: last === 'EOF' ? Infinity : Number(last) });
  }
  return found;
}

/**
 * Waits until the kernel's list of locks on `path` satisfies `ready`, polling every 5 ms;
 * returns that list. Rejects after `ms`, naming `what`: a hang guard, not a timing claim.
 */
export async function untilKernel(path: string, ready: (locks: KernelLock[]) => boolean, what: string, ms = LINE_TIMEOUT_MS): Promise<KernelLock[]> {
  const until = Date.now() + ms;
  for (;;) {
    const locks = kernelLocks(path);
    if (ready(locks)) return locks;
    if (Date.now() > until) throw new Error(`${what} on ${path} not seen within ${ms} ms; /proc/locks has ${JSON.stringify(locks)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Waits until the kernel lists a request blocked on `path` that `match` accepts (default: any). */
export async function untilBlocked(path: string, match: (wait: KernelLock) => boolean = () => true, ms = LINE_TIMEOUT_MS): Promise<KernelLock> {
  const locks = await untilKernel(path, (all) => all.some((l) => l.blocked && match(l)), 'a matching blocked request', ms);
  return locks.find((l) => l.blocked && match(l)) as KernelLock;
}
