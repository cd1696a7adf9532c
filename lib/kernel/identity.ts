/**
 * Which inode a path or descriptor refers to, cheaply enough to check after every acquire:
 * a lock only excludes others if it sits on the file that is *currently* at the path.
 *
 * @packageDocumentation
 */
import { errnoError } from './fcntl';
import { ERRNO, getLibc } from './libc';

const ENOENT = 2;
const STAT_SIZE = 256; // struct stat is 144 bytes on x86_64 and 128 on arm64
const statBytes = new Uint8Array(STAT_SIZE);
const stat64 = new BigUint64Array(statBytes.buffer);

/** Device and inode numbers as one comparable string. */
export type Identity = string;

function identity(): Identity {
  return `${stat64[0]}:${stat64[1]}`;
}

/** Identity of the file `fd` is open on. */
export function fdIdentity(fd: number): Identity {
  const libc = getLibc();
  if (libc.fstat(fd, statBytes) !== 0) throw errnoError('fstat', libc.errno());
  return identity();
}

/**
 * Identity of what `path` names now (following symlinks, as `open` without O_NOFOLLOW on
 * the directories would), or null when nothing is there.
 */
export function pathIdentity(path: string): Identity | null {
  const libc = getLibc();
  if (libc.stat(path, statBytes) === 0) return identity();
  const errno = libc.errno();
  if (errno === ENOENT || errno === ERRNO.EACCES) return null;
  throw errnoError('stat', errno);
}
