/**
 * Where the default namespace lives: one registry per user and machine,
 * `/dev/shm/locksfile-<uid>.locks` (memory-backed, cleared at boot) or, where `/dev/shm` is
 * missing, `<os.tmpdir()>/locksfile-<uid>.locks`. Created with mode 0600 and only accepted
 * when it belongs to the current user.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as nodePath from 'node:path';

/** The default registry path of the current user. */
export function defaultRegistryPath(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : os.userInfo().uid;
  const file = `locksfile-${uid}.locks`;
  let dir = os.tmpdir();
  try {
    if (fs.statSync('/dev/shm').isDirectory()) dir = '/dev/shm';
  } catch {
    // no /dev/shm: the temp dir it is
  }
  return nodePath.join(dir, file);
}
