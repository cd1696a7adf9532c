/**
 * Choices the library makes from what the kernel and the application give it, each seen
 * from outside the process that made it:
 * - the automatic POSIX fallback: on a kernel without OFD locks (played by a seccomp filter
 *   that answers EINVAL to the F_OFD_* commands, exactly what an older kernel answers) a
 *   LocksFile takes classic POSIX record locks, which another process sees with the
 *   holder's real pid, and still excludes and hands over;
 * - the interrupt signal: the library never takes a real-time signal the application already
 *   uses (here SIGRTMAX, ignored by the parent and so inherited across exec); it takes the
 *   next one down, leaves the application's disposition alone, and its timed waits still end
 *   on time. The kernel's per-process signal masks (/proc/<pid>/status) show the choice.
 *
 * The Python wrapper sets the process up and then execs node with the `owner` fixture, so the
 * fixture runs with the same pid under the filter or with the inherited disposition.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocksFile } from 'locksfile';
import { type LineChild, spawnPython } from '../helpers/children';
import { untilBlocked } from '../helpers/kernel-locks';
import { fixture } from '../helpers/paths';
import { useScratchDir } from '../helpers/scratch';

/** `<mode> <node> <args...>`: sets up as `mode` says, then execs node with the args. */
const WRAPPER = String.raw`
import ctypes, os, signal, struct, sys

mode = sys.argv[1]
if mode == 'no-ofd':
    libc = ctypes.CDLL(None, use_errno=True)
    LD_W_ABS, JEQ_K, RET_K = 0x20, 0x15, 0x06
    ALLOW, EINVAL = 0x7FFF0000, 0x00050000 | 22
    AUDIT_ARCH_X86_64, SYS_FCNTL = 0xC000003E, 72
    op = lambda code, k, jt=0, jf=0: struct.pack('HBBI', code, jt, jf, k)
    prog = [
        op(LD_W_ABS, 4), op(JEQ_K, AUDIT_ARCH_X86_64, 1, 0), op(RET_K, ALLOW),
        op(LD_W_ABS, 0), op(JEQ_K, SYS_FCNTL, 1, 0), op(RET_K, ALLOW),
        op(LD_W_ABS, 24),  # low half of fcntl's cmd
        op(JEQ_K, 36, 3, 0), op(JEQ_K, 37, 2, 0), op(JEQ_K, 38, 1, 0), op(RET_K, ALLOW),
        op(RET_K, EINVAL),
    ]
    code = ctypes.create_string_buffer(b''.join(prog))
    fprog = ctypes.create_string_buffer(struct.pack('HxxxxxxQ', len(prog), ctypes.addressof(code)))
    if libc.prctl(38, ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
        sys.exit('PR_SET_NO_NEW_PRIVS failed: errno %d' % ctypes.get_errno())
    if libc.prctl(22, ctypes.c_ulong(2), ctypes.c_void_p(ctypes.addressof(fprog)), ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
        sys.exit('PR_SET_SECCOMP failed: errno %d' % ctypes.get_errno())
elif mode == 'ignore-rtmax':
    signal.signal(signal.SIGRTMAX, signal.SIG_IGN)
os.execv(sys.argv[2], sys.argv[2:])
`;

const scratch = useScratchDir('locksfile-platform-');
let lockPath: string;

beforeEach(() => {
  lockPath = path.join(scratch(), 'platform.lock');
});

async function owner(mode: 'no-ofd' | 'ignore-rtmax' | 'plain'): Promise<LineChild> {
  const child = spawnPython(WRAPPER, [mode, process.execPath, fixture('owner'), lockPath]);
  expect(await child.takeLine()).toBe(`ready ${child.pid}`);
  return child;
}

/** The signals a process ignores and catches, from the kernel's view of it. */
function signalMasks(pid: number): { ignored: Set<number>; caught: Set<number> } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const mask = (field: string): Set<number> => {
    const hex = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1];
    if (hex === undefined) throw new Error(`no ${field} in /proc/${pid}/status`);
    const bits = BigInt(`0x${hex}`);
    const set = new Set<number>();
    for (let sig = 1; sig <= 64; sig++) if ((bits >> BigInt(sig - 1)) & 1n) set.add(sig);
    return set;
  };
  return { ignored: mask('SigIgn'), caught: mask('SigCgt') };
}

test('without OFD locks in the kernel, a LocksFile falls back to POSIX locks that still exclude and hand over', async () => {
  const child = await owner('no-ofd');
  expect(await child.ask('backend')).toBe('posix');
  expect(await child.ask('lock 2 3 w')).toBe('ok');
  const lf = new LocksFile(lockPath);
  expect(lf.backend).toBe('ofd'); // this process still has OFD locks: the filter is the child's alone
  // A POSIX lock names its process: the kernel reports the child's pid, never -1 (OFD).
  expect(lf.probe(3, { write: true })).toEqual({ start: 2, count: 3, write: true, pid: child.pid });
  expect(lf.acquireSync(4, { blocking: false })).toBe(false);
  const waiting = lf.acquire(4, { write: true, timeout: 10_000 });
  await untilBlocked(lockPath, (w) => w.kind === 'OFDLCK' && w.start === 4);
  expect(await child.ask('release')).toBe('ok');
  expect(await waiting).toBe(true);
  // And the other way round: the POSIX owner waits for our OFD lock and times out.
  expect(await child.ask('lock 4 1 r 100')).toBe('busy');
  lf.close();
  expect(await child.ask('try 4 1 w')).toBe('ok');
});

describe('the interrupt signal', () => {
  const SIGRTMAX = 64;

  test('is SIGRTMAX when the application leaves it alone', async () => {
    const child = await owner('plain');
    const holder = new LocksFile(lockPath);
    expect(holder.acquireSync(0, { write: true, timeout: 1000 })).toBe(true);
    expect(signalMasks(child.pid).caught.has(SIGRTMAX)).toBe(false);
    expect(await child.ask('lock 0 1 w 100')).toBe('busy');
    expect(signalMasks(child.pid).caught.has(SIGRTMAX)).toBe(true);
    holder.close();
  });

  test('is never one the application already uses: SIGRTMAX stays ignored, SIGRTMAX-1 interrupts, waits end on time', async () => {
    const child = await owner('ignore-rtmax');
    const before = signalMasks(child.pid);
    expect(before.ignored.has(SIGRTMAX)).toBe(true);
    expect(before.caught.has(SIGRTMAX - 1)).toBe(false);
    const holder = new LocksFile(lockPath);
    expect(holder.acquireSync(0, { write: true, timeout: 1000 })).toBe(true);
    // A timed sync wait and a timed async wait both need the interrupt signal to end.
    const t0 = performance.now();
    expect(await child.ask('lock 0 1 w 150')).toBe('busy');
    expect(await child.ask('alock 0 1 w 150')).toBe('started');
    expect(await child.takeLine()).toBe('async busy');
    expect(performance.now() - t0).toBeLessThan(300 + 2000); // a hang guard: durations are proven in test/timing
    const after = signalMasks(child.pid);
    expect(after.ignored.has(SIGRTMAX)).toBe(true);
    expect(after.caught.has(SIGRTMAX)).toBe(false);
    expect(after.caught.has(SIGRTMAX - 1)).toBe(true);
    // Nothing was left held: the child's next try gets the lock once ours is gone.
    holder.close();
    expect(await child.ask('try 0 1 w')).toBe('ok');
  });
});
