/**
 * Opening the files of a namespace (the registry and its steal bell) safely: created with
 * mode 0600 when missing, never through a symlink, regular files only, and for the shared
 * default path only a file of the current user (a file someone else planted in `/dev/shm`
 * is refused, not trusted).
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import { LockPathError } from '../errors/errors';
import { notRegularFile, pathError } from '../errors/path-error';

/** Opens `path` read-write as described above; `ownerOnly` adds the owner check. */
export function openNamespaceFile(path: string, ownerOnly: boolean): number {
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK, 0o600);
  } catch (err) {
    throw pathError(path, err);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw notRegularFile(path);
    if (ownerOnly && typeof process.getuid === 'function' && stat.uid !== process.getuid()) {
      throw new LockPathError(path, `${path} belongs to uid ${stat.uid}, not to this user: refusing a shared file someone else controls`, 'EPERM');
    }
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  return fd;
}

/** Whether two descriptors are open on the same file (device and inode). */
export function sameFile(a: number, b: number): boolean {
  const x = fs.fstatSync(a);
  const y = fs.fstatSync(b);
  return x.dev === y.dev && x.ino === y.ino;
}
