/**
 * Which inode a path or descriptor refers to, cheaply enough to check after every acquire:
 * a lock only excludes others if it sits on the file that is *currently* at the path.
 * (`st_dev` and `st_ino` are the first two 64-bit fields of `struct stat` on 64-bit Linux.)
 *
 * A {@link FileId} is the raw words, compared by {@link sameFileAt}, which runs after every
 * grant and so builds no strings or BigInts and takes a path encoded once; {@link fileKey}
 * turns one into a string for map keys.
 *
 * @packageDocumentation
 */
import { errnoError } from './fcntl';
import { getLibc } from './libc';

const ENOENT = 2;
const ENOTDIR = 20;
const STAT_SIZE = 256; // struct stat is 144 bytes on x86_64 and 128 on arm64
const statBytes = new Uint8Array(STAT_SIZE);
const stat32 = new Uint32Array(statBytes.buffer);

/** Device and inode numbers as four 32-bit words (dev low, dev high, ino low, ino high). */
export type FileId = Uint32Array;

function statPath(path: Uint8Array): boolean {
  const libc = getLibc();
  if (libc.stat(path, statBytes) === 0) return true;
  const errno = libc.errno();
  if (errno === ENOENT || errno === ENOTDIR) return false;
  throw errnoError('stat', errno);
}

/** NUL-terminated UTF-8 bytes of `path`, for {@link sameFileAt}. */
export function encodePath(path: string): Uint8Array {
  return Buffer.from(`${path}\0`, 'utf8');
}

/** {@link FileId} of the file `fd` is open on. */
export function fdFileId(fd: number): FileId {
  const libc = getLibc();
  if (libc.fstat(fd, statBytes) !== 0) throw errnoError('fstat', libc.errno());
  return stat32.slice(0, 4);
}

/** `id` as a `"dev:ino"` string, for map keys. */
export function fileKey(id: FileId): string {
  const dev = (id[1] ?? 0) * 2 ** 32 + (id[0] ?? 0);
  const ino = (id[3] ?? 0) * 2 ** 32 + (id[2] ?? 0);
  return `${dev}:${ino}`;
}

/** Whether `path` (from {@link encodePath}) names the file `id` now. */
export function sameFileAt(path: Uint8Array, id: FileId): boolean {
  return statPath(path) && stat32[0] === id[0] && stat32[1] === id[1] && stat32[2] === id[2] && stat32[3] === id[3];
}
