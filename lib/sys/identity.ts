/**
 * Which inode a path or descriptor refers to, cheaply enough to check after every acquire:
 * a lock only excludes others if it sits on the file that is *currently* at the path.
 * (`st_dev` and `st_ino` are the first two 64-bit fields of `struct stat` on 64-bit Linux.)
 *
 * A {@link FileId} is the raw words; {@link fileKey} turns one into a string for map keys.
 * {@link PathCheck} answers "is the file still at the path?" after every grant with one
 * `fstat` of the descriptor (no path lookup, no strings, no BigInts), falling back to a
 * `stat` of the path only when the inode's links changed.
 *
 * @packageDocumentation
 */
import { errnoError } from './fcntl';
import { addressOf, getLibc } from './libc';

const ENOENT = 2;
const ENOTDIR = 20;
const STAT_SIZE = 256; // struct stat is 144 bytes on x86_64 and 128 on arm64
const statBytes = new Uint8Array(new ArrayBuffer(STAT_SIZE));
const STAT_AT = addressOf(statBytes);
const stat32 = new Uint32Array(statBytes.buffer);
/** `st_nlink`: a 64-bit field at byte 16 on x86_64 (its low word), a 32-bit one at byte 20 on arm64 (asm-generic layout). */
const NLINK = process.arch === 'arm64' ? 5 : 4;
/** `st_ctim` at byte 104 on both: `tv_sec` (two words), then `tv_nsec`. */
const CTIME = 26;
/**
 * How old a ctime must be before an unchanged ctime proves that nothing happened since: the
 * kernel stamps changes with a coarse clock (one tick, at most 10 ms at HZ=100), so a change
 * in the same tick as the last check could leave the ctime equal.
 */
const SETTLED_MS = 50;

/** Device and inode numbers as four 32-bit words (dev low, dev high, ino low, ino high). */
export type FileId = Uint32Array;

/** NUL-terminated UTF-8 bytes of `path`, for {@link PathCheck}. */
function encodePath(path: string): Uint8Array {
  return Buffer.from(`${path}\0`, 'utf8');
}

function fstatInto(fd: number): void {
  const libc = getLibc();
  if (libc.fstat(fd, STAT_AT) !== 0) throw errnoError('fstat', libc.errno());
}

/** {@link FileId} of the file `fd` is open on. */
export function fdFileId(fd: number): FileId {
  fstatInto(fd);
  return stat32.slice(0, 4);
}

/** `id` as a `"dev:ino"` string, for map keys. */
export function fileKey(id: FileId): string {
  const dev = (id[1] ?? 0) * 2 ** 32 + (id[0] ?? 0);
  const ino = (id[3] ?? 0) * 2 ** 32 + (id[2] ?? 0);
  return `${dev}:${ino}`;
}

/** Whether `path` (from {@link encodePath}) names the file `id` now. */
function sameFileAt(path: Uint8Array, id: FileId): boolean {
  const libc = getLibc();
  if (libc.stat(path, statBytes) !== 0) {
    const errno = libc.errno();
    if (errno === ENOENT || errno === ENOTDIR) return false;
    throw errnoError('stat', errno);
  }
  return stat32[0] === id[0] && stat32[1] === id[1] && stat32[2] === id[2] && stat32[3] === id[3];
}

/**
 * "Is the file this descriptor is open on still the one at the path?", asked after every
 * grant. One `fstat` of the descriptor answers most of it:
 * - link count 0: the file was deleted or replaced by a rename (its last name is gone): no;
 * - ctime unchanged since a check that walked the path, and that ctime had settled (see
 *   {@link SETTLED_MS}): yes. Every change of the inode's names (unlink, rename to or from
 *   it, a new hard link) sets its ctime, so nothing happened to it since;
 * - otherwise (first check, a recent or changed ctime: a hard link added or removed, a rename,
 *   a `chmod`): a `stat` of the path decides, and a yes remembers the ctime.
 *
 * Not seen: a change of a parent directory (renamed, replaced, a symlink swapped in its
 * place), which leaves the file's own inode untouched; and a wall clock stepped back by more
 * than {@link SETTLED_MS} between two changes. A path-based `stat` after every grant would see
 * the first, at twice the cost of the `fstat`.
 */
export class PathCheck {
  readonly #path: Uint8Array;
  #fd: number;
  #id: FileId;
  /** ctime words seen by the last check that walked the path (and found the file there). */
  readonly #ctime = new Uint32Array(3);
  /** Whether {@link #ctime} is a settled one, so that an unchanged ctime proves no change. */
  #trusted = false;

  constructor(path: string, fd: number) {
    this.#path = encodePath(path);
    this.#fd = fd;
    this.#id = fdFileId(fd);
  }

  /** Identity of the file the descriptor is open on. */
  get id(): FileId {
    return this.#id;
  }

  /** Follows a new descriptor (after a reopen); the next {@link current} walks the path. */
  reset(fd: number): void {
    this.#fd = fd;
    this.#id = fdFileId(fd);
    this.#trusted = false;
  }

  /** True while the path still names the file the descriptor is open on. */
  current(): boolean {
    if (!this.#trusted) return this.#walk();
    fstatInto(this.#fd);
    if (stat32[NLINK] === 0) return false;
    const c = this.#ctime;
    if (c[0] === stat32[CTIME] && c[1] === stat32[CTIME + 1] && c[2] === stat32[CTIME + 2]) return true;
    return this.#walk();
  }

  /** The full check: the path, and the ctime it vouches for. */
  #walk(): boolean {
    // Read before the fstat: a lower bound of when the ctime below was seen.
    const now = Date.now();
    this.#trusted = false;
    fstatInto(this.#fd);
    if (stat32[NLINK] === 0) return false;
    const sec = stat32[CTIME] ?? 0;
    const secHigh = stat32[CTIME + 1] ?? 0;
    const nsec = stat32[CTIME + 2] ?? 0;
    if (!sameFileAt(this.#path, this.#id)) return false;
    this.#ctime.set([sec, secHigh, nsec]);
    this.#trusted = now - ((secHigh * 2 ** 32 + sec) * 1000 + nsec / 1e6) > SETTLED_MS;
    return true;
  }
}
