/**
 * What Linux tells about the locks on one file, read from `/proc` (no system call of our
 * own): `/proc/locks` (every lock and blocked request, but pid -1 for OFD locks),
 * `/proc/PID/fdinfo/FD` (the `lock:` lines of the descriptor that owns a lock, which names
 * the process of an OFD holder), `/proc/PID/task/TID/syscall` with `/proc/PID/mem` (a thread
 * blocked in `fcntl(F_SETLKW | F_OFD_SETLKW)` and the exact range it asked for), and
 * `/proc/PID/cmdline` and `/proc/PID/stat`. Other users' processes are visible only to root
 * (or to a caller allowed to ptrace them); what cannot be read is left out, never guessed.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';

/** Device and inode of a file, as `fs.statSync` gives them. */
export interface FileKey {
  readonly dev: number;
  readonly ino: number;
}

/** One entry of `/proc/locks` or of an fdinfo `lock:` line. */
export interface KernelLock {
  /** `OFDLCK`, `POSIX`, `FLOCK`, `LEASE`... as the kernel names the lock family. */
  readonly type: string;
  readonly write: boolean;
  /** The owning process, or null when the kernel does not record one (OFD locks show -1). */
  readonly pid: number | null;
  /** First byte (lock index). */
  readonly start: number;
  /** Exclusive end, or null for "to the end of the file". */
  readonly end: number | null;
  /** True for a request that waits (`->` lines), false for a granted lock. */
  readonly blocked: boolean;
}

/** A granted lock together with the descriptor that owns it. */
export interface FdLock {
  readonly pid: number;
  readonly fd: number;
  readonly lock: KernelLock;
}

/** A thread blocked in `fcntl()` waiting for a lock on the file. */
export interface FcntlWaiter {
  readonly pid: number;
  readonly tid: number;
  readonly fd: number;
  /** `'OFDLCK'` for `F_OFD_SETLKW`, `'POSIX'` for `F_SETLKW`. */
  readonly type: 'OFDLCK' | 'POSIX';
  /** The requested range and mode, or null when the waiter's memory could not be read. */
  readonly request: { readonly write: boolean; readonly start: number; readonly end: number | null } | null;
}

const F_SETLKW = 7;
const F_OFD_SETLKW = 38;
/** fcntl's system call number per architecture (x86_64, arm64). */
const FCNTL_SYSCALL: Partial<Record<string, number>> = { x64: 72, arm64: 25 };

/** `major:minor:inode` as `/proc/locks` prints a file (hex device numbers, decimal inode). */
export function procKey(key: FileKey): string {
  const dev = BigInt(key.dev);
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  const hex = (n: bigint): string => n.toString(16).padStart(2, '0');
  return `${hex(major)}:${hex(minor)}:${key.ino}`;
}

/** Parses one `/proc/locks`-format line; null when it is not about `key`. */
export function parseLockLine(line: string, key: string): KernelLock | null {
  const tokens = line.trim().split(/\s+/);
  if (tokens.length < 7 || tokens[tokens.length - 3] !== key) return null;
  const [mode, pid, , start, end] = tokens.slice(-5) as [string, string, string, string, string];
  const first = Number(start);
  return {
    type: tokens[1] === '->' ? tokens[2] : tokens[1],
    write: mode === 'WRITE',
    pid: pid === '-1' ? null : Number(pid),
    start: first,
    end: end === 'EOF' ? null : Number(end) + 1,
    blocked: tokens[1] === '->',
  };
}

/** Whether two entries describe the same lock (family, mode and range). */
export function sameLock(a: KernelLock, b: KernelLock): boolean {
  return a.type === b.type && a.write === b.write && a.start === b.start && a.end === b.end;
}

function readText(path: string): string | null {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function numericEntries(dir: string): number[] {
  try {
    return fs
      .readdirSync(dir)
      .filter((n) => /^\d+$/.test(n))
      .map(Number);
  } catch {
    return [];
  }
}

/** Every lock and blocked request on the file, from `/proc/locks`. */
export function kernelLocks(file: FileKey): KernelLock[] {
  const key = procKey(file);
  const text = readText('/proc/locks') ?? '';
  return text.split('\n').flatMap((line) => parseLockLine(line, key) ?? []);
}

/** The descriptors that own granted locks on the file, from every readable `/proc/PID/fdinfo`. */
export function fdHolders(file: FileKey): FdLock[] {
  const key = procKey(file);
  const out: FdLock[] = [];
  for (const pid of numericEntries('/proc')) {
    for (const fd of numericEntries(`/proc/${pid}/fdinfo`)) {
      const text = readText(`/proc/${pid}/fdinfo/${fd}`);
      if (text === null || !text.includes(key)) continue;
      for (const line of text.split('\n')) {
        if (!line.startsWith('lock:')) continue;
        const lock = parseLockLine(line.slice('lock:'.length), key);
        if (lock !== null) out.push({ pid, fd, lock });
      }
    }
  }
  return out;
}

function sameFile(path: string, file: FileKey): boolean {
  try {
    const st = fs.statSync(path);
    return st.dev === file.dev && st.ino === file.ino;
  } catch {
    return false;
  }
}

/** Reads the 32-byte `struct flock` a waiter passed to fcntl, or null when not permitted. */
function readRequest(pid: number, address: bigint): FcntlWaiter['request'] {
  let fd: number | undefined;
  try {
    fd = fs.openSync(`/proc/${pid}/mem`, 'r');
    const buf = Buffer.alloc(32);
    if (fs.readSync(fd, buf, 0, 32, address) !== 32) return null;
    const type = buf.readInt16LE(0);
    const whence = buf.readInt16LE(2);
    const start = Number(buf.readBigInt64LE(8));
    const len = Number(buf.readBigInt64LE(16));
    if (whence !== 0 || (type !== 0 && type !== 1)) return null;
    return { write: type === 1, start, end: len === 0 ? null : start + len };
  } catch {
    return null;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Threads blocked in `fcntl(fd, F_SETLKW | F_OFD_SETLKW, ...)` on a descriptor of the file,
 * found through `/proc/PID/task/TID/syscall` (readable only for processes the caller may
 * ptrace: one's own, or all as root). Empty on architectures other than x64 and arm64.
 */
export function fcntlWaiters(file: FileKey): FcntlWaiter[] {
  const nr = FCNTL_SYSCALL[process.arch];
  if (nr === undefined) return [];
  const out: FcntlWaiter[] = [];
  for (const pid of numericEntries('/proc')) {
    for (const tid of numericEntries(`/proc/${pid}/task`)) {
      const fields = (readText(`/proc/${pid}/task/${tid}/syscall`) ?? '').trim().split(' ');
      if (Number(fields[0]) !== nr || fields.length < 4) continue;
      const cmd = Number(fields[2]);
      if (cmd !== F_SETLKW && cmd !== F_OFD_SETLKW) continue;
      const fd = Number(fields[1]);
      if (!sameFile(`/proc/${pid}/fd/${fd}`, file)) continue;
      out.push({ pid, tid, fd, type: cmd === F_OFD_SETLKW ? 'OFDLCK' : 'POSIX', request: readRequest(pid, BigInt(fields[3])) });
    }
  }
  return out;
}

/**
 * The process's command line on one line (arguments joined by spaces, line breaks and tabs
 * shown as spaces), or null when unreadable or a kernel thread.
 */
export function commandOf(pid: number): string | null {
  return argvOf(pid)?.join(' ').replace(/\s+/g, ' ') ?? null;
}

/** The process's arguments, or null when unreadable or a kernel thread. */
export function argvOf(pid: number): string[] | null {
  const text = readText(`/proc/${pid}/cmdline`);
  if (text === null || text.length === 0) return null;
  return text.replace(/\0$/, '').split('\0');
}

/**
 * Whether the process runs the script `script` (an absolute, symlink-free path) as its first
 * argument (`node SCRIPT ...`), its relative path resolved against the process's own cwd.
 */
export function runsScript(pid: number, script: string): boolean {
  const arg = argvOf(pid)?.[1];
  if (arg === undefined) return false;
  try {
    return fs.realpathSync(nodePath.resolve(fs.readlinkSync(`/proc/${pid}/cwd`), arg)) === script;
  } catch {
    return false;
  }
}

/** `pid 123 (python3 -u hold.py)`, or `pid 123` when its command line is unreadable. */
export function describePid(pid: number): string {
  const command = commandOf(pid);
  return command === null ? `pid ${pid}` : `pid ${pid} (${command})`;
}

/** When the process started (from `/proc/PID/stat` and the boot time), or null. */
export function startedAt(pid: number): Date | null {
  const stat = readText(`/proc/${pid}/stat`);
  const boot = /^btime (\d+)$/m.exec(readText('/proc/stat') ?? '');
  if (stat === null || boot === null) return null;
  // Field 22 (starttime, in clock ticks since boot) counted after the ")" that ends the name.
  const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(after[19]);
  if (!Number.isFinite(ticks)) return null;
  return new Date((Number(boot[1]) + ticks / CLOCK_TICKS) * 1000);
}

/** USER_HZ: 100 on every Linux architecture Node supports. */
const CLOCK_TICKS = 100;
