/**
 * Publishing a finished file under a name in one step: create it unnamed with `O_TMPFILE`,
 * prepare it (lock, content), then give it its name with `linkat`, which fails with `EEXIST`
 * when the name is taken, exactly like `open(O_CREAT | O_EXCL)`. A process that dies before
 * the link leaves nothing behind: the unnamed inode vanishes with its last descriptor.
 *
 * Linux only (`O_TMPFILE` needs Linux >= 3.11 and a file system that supports it; tmpfs,
 * ext4, xfs and btrfs do). The link goes through `/proc/self/fd/<fd>` with
 * `AT_SYMLINK_FOLLOW`, which needs no privilege (unlike `AT_EMPTY_PATH`) but needs `/proc`.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import { errnoName, getLibc } from './libc';

/**
 * `__O_TMPFILE` of asm-generic (`020000000`, the same on x86_64 and arm64). The `O_TMPFILE`
 * flag of the C headers is this bit plus `O_DIRECTORY`, whose value differs between
 * architectures (`0200000` on x86_64, `040000` on arm64), so that half is taken from Node,
 * which has no `O_TMPFILE` constant of its own.
 */
const TMPFILE_BIT = 0o20000000;

/** `O_TMPFILE` for `fs.openSync(dir, O_TMPFILE | O_RDWR, mode)`: an unnamed regular file in `dir`. */
export const O_TMPFILE = TMPFILE_BIT | fs.constants.O_DIRECTORY;

/** `AT_FDCWD`: paths are resolved against the current directory (Linux). */
const AT_FDCWD = -100;
/** `AT_SYMLINK_FOLLOW`: link what the `/proc/self/fd/<fd>` magic link points to (Linux). */
const AT_SYMLINK_FOLLOW = 0x400;

/** A NUL-terminated C string. */
function cString(text: string): Buffer {
  return Buffer.from(`${text}\0`, 'utf8');
}

/** `EEXIST` (Linux). */
const EEXIST = 17;

/**
 * Gives the file open on `fd` (typically an `O_TMPFILE` one) the name `path`, without
 * following or replacing anything already at `path`. Returns false when the name is taken
 * (by anything, a symlink included): under contention the usual answer, so it builds no
 * error object. Throws a Node-style system error (`code`, `errno`, `syscall: 'linkat'`,
 * `path`) on any other failure: `ENOENT` when `/proc` is not mounted or the directory of
 * `path` is missing.
 */
export function linkFd(fd: number, path: string): boolean {
  const libc = getLibc();
  if (libc.linkat(AT_FDCWD, cString(`/proc/self/fd/${fd}`), AT_FDCWD, cString(path), AT_SYMLINK_FOLLOW) === 0) return true;
  const errno = libc.errno();
  if (errno === EEXIST) return false;
  const code = errnoName(errno);
  const err: NodeJS.ErrnoException = new Error(`${code}: linkat '${path}'`);
  err.code = code;
  err.errno = -errno;
  err.syscall = 'linkat';
  err.path = path;
  throw err;
}
