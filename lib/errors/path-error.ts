/**
 * Failed `fs` calls on a lock path, as the library's typed errors. One table for every
 * facade, so a symlink or a FIFO is described the same way wherever it is met.
 *
 * @packageDocumentation
 */
import { type LockError, LockPathError, LockSystemError } from './errors';

const REASONS: Record<string, string> = {
  ELOOP: 'is a symbolic link (refused: lock files are opened without following links)',
  EISDIR: 'is a directory, not a regular file',
  ENXIO: 'is a socket or device, not a regular file',
  ENOENT: 'its directory does not exist',
  ENOTDIR: 'a component of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENAMETOOLONG: 'the path is too long',
  EROFS: 'is on a read-only file system',
};

/** The `code` of a Node system error (`'ENOENT'`), or undefined for anything else. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * `err` from an `fs` call on `path` as a {@link LockPathError} when the path itself is the
 * problem (see the table above), else a {@link LockSystemError} (`EMFILE`, `ENOSPC`, ...).
 */
export function pathError(path: string, err: unknown): LockError {
  const code = errnoCode(err) ?? 'EIO';
  const reason = REASONS[code];
  if (reason !== undefined) return new LockPathError(path, `${path}: ${reason}`, code, err);
  return new LockSystemError((err as NodeJS.ErrnoException).syscall ?? 'fs', code, `${path}: ${(err as Error).message}`);
}

/** The error for a path that exists but is not a regular file (FIFO, socket, device...). */
export function notRegularFile(path: string): LockPathError {
  return new LockPathError(path, `${path}: not a regular file`);
}
