/**
 * The `/proc` readers of `locksfile status`: the line format of `/proc/locks` (and fdinfo
 * `lock:` lines), the device encoding of their `major:minor:inode` key, checked against the
 * kernel's own output for a lock this test takes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocksFile } from 'locksfile';
import { fdHolders, kernelLocks, parseLockLine, procKey } from '../../lib/cli/proc-locks';
import { useScratchDir } from '../helpers/scratch';

const scratch = useScratchDir('locksfile-cli-proc-');

test('parses granted and blocked lines of every family; other files and garbage give null', () => {
  const key = 'fe:00:123';
  expect(parseLockLine('1: OFDLCK ADVISORY  WRITE -1 fe:00:123 3 4', key)).toEqual({
    type: 'OFDLCK',
    write: true,
    pid: null,
    start: 3,
    end: 5,
    blocked: false,
  });
  expect(parseLockLine('1: -> OFDLCK ADVISORY  READ -1 fe:00:123 0 EOF', key)).toEqual({
    type: 'OFDLCK',
    write: false,
    pid: null,
    start: 0,
    end: null,
    blocked: true,
  });
  expect(parseLockLine('7: POSIX  ADVISORY  READ 4242 fe:00:123 10 10', key)).toEqual({
    type: 'POSIX',
    write: false,
    pid: 4242,
    start: 10,
    end: 11,
    blocked: false,
  });
  expect(parseLockLine('2: FLOCK  ADVISORY  WRITE 99 fe:00:123 0 EOF', key)).toMatchObject({ type: 'FLOCK', pid: 99, end: null });
  expect(parseLockLine('1: OFDLCK ADVISORY  WRITE -1 fe:00:1234 3 4', key)).toBeNull();
  expect(parseLockLine('', key)).toBeNull();
  expect(parseLockLine('nonsense', key)).toBeNull();
});

test('procKey decodes glibc device numbers as the kernel prints them (hex major:minor, decimal inode)', () => {
  expect(procKey({ dev: 0xfe00, ino: 42 })).toBe('fe:00:42');
  expect(procKey({ dev: (259 << 8) | 3, ino: 7 })).toBe('103:03:7'); // nvme: major 259
  expect(procKey({ dev: ((0x1234 & 0xff) | ((0x1234 & ~0xff) << 12)) + (8 << 8), ino: 1 })).toBe('08:1234:1'); // minor above 255
});

test("procKey matches the kernel's key for a held lock, and fdinfo names this process as its owner", () => {
  const file = path.join(scratch(), 'k.lock');
  using lf = new LocksFile(file);
  lf.acquireSync([4, 2], { write: true });
  const key = fs.statSync(file);
  const text = fs.readFileSync('/proc/locks', 'utf8');
  expect(text).toContain(` ${procKey(key)} 4 5`);
  expect(kernelLocks(key)).toEqual([{ type: 'OFDLCK', write: true, pid: null, start: 4, end: 6, blocked: false }]);
  expect(fdHolders(key).map((h) => [h.pid, h.lock.start, h.lock.end])).toEqual([[process.pid, 4, 6]]);
});
