/**
 * Interoperability with Python (standard library only): a `python3` child locking bytes
 * of the same file with `fcntl.lockf(fd, cmd, len, start)` (POSIX record locks, the way
 * pylocksfile maps lock index n to byte n) and our LocksFile (OFD locks) exclude each other
 * on the same indices in both directions; probe() reports the Python pid; shared locks are
 * compatible; blocking waits on either side end when the other side releases or exits.
 */
import * as path from 'node:path';
import { LockBusyError, LocksFile } from 'locksfile';
import { type JsonObject, RpcChild, spawnPython } from '../helpers/children';
import { untilBlocked } from '../helpers/kernel-locks';
import { useScratchDir } from '../helpers/scratch';

/** JSON-lines agent: one POSIX-lock owner (this Python process) on the file in argv[1]. */
const PYTHON_AGENT = String.raw`
import errno, fcntl, json, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o666)
FLOCK = "=hh4xqqi4x"  # Linux 64-bit struct flock: type, whence, start, len, pid (32 bytes)
def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()
out({"event": "ready", "pid": os.getpid()})
for line in sys.stdin:
    r = json.loads(line)
    rep = {"reply": r["id"]}
    try:
        op = r["op"]
        if op == "lock":
            cmd = fcntl.LOCK_EX if r["write"] else fcntl.LOCK_SH
            if not r.get("blocking", False):
                cmd |= fcntl.LOCK_NB
            try:
                fcntl.lockf(fd, cmd, r["count"], r["start"])
                rep["granted"] = True
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                rep["granted"] = False
        elif op == "unlock":
            fcntl.lockf(fd, fcntl.LOCK_UN, r["count"], r["start"])
        elif op == "getlk":
            lk = struct.pack(FLOCK, fcntl.F_WRLCK if r["write"] else fcntl.F_RDLCK, 0, r["start"], r["count"], 0)
            t, _, s, n, pid = struct.unpack(FLOCK, fcntl.fcntl(fd, fcntl.F_GETLK, lk))
            rep["holder"] = None if t == fcntl.F_UNLCK else {"start": s, "count": n, "write": t == fcntl.F_WRLCK, "pid": pid}
        elif op == "exit":
            out(rep)
            os._exit(0)
        else:
            raise ValueError("unknown op " + op)
    except Exception as e:
        rep["error"] = repr(e)
    out(rep)
`;

class PythonLocker extends RpcChild {
  constructor(
    child: RpcChild['child'],
    readonly pythonPid: number,
  ) {
    super(child);
  }

  static async start(lockPath: string): Promise<PythonLocker> {
    const child = spawnPython(PYTHON_AGENT, [lockPath]);
    const ready = JSON.parse(await child.takeLine()) as JsonObject;
    if (ready.event !== 'ready' || typeof ready.pid !== 'number') throw new Error(`python agent did not start: ${JSON.stringify(ready)}`);
    return new PythonLocker(child, ready.pid);
  }

  static checked(reply: JsonObject): JsonObject {
    if (reply.error !== undefined) throw new Error(`python agent: ${String(reply.error)}`);
    return reply;
  }

  /** `fcntl.lockf(fd, LOCK_EX|LOCK_SH [| LOCK_NB], count, start)`; true when granted. */
  async lock(start: number, count: number, write: boolean): Promise<boolean> {
    return PythonLocker.checked(await this.call('lock', { start, count, write })).granted === true;
  }

  /** Posts a blocking lockf (the agent answers once granted); returns the request id. */
  postBlockingLock(start: number, count: number, write: boolean): number {
    return this.post('lock', { start, count, write, blocking: true });
  }

  async unlock(start: number, count: number): Promise<void> {
    PythonLocker.checked(await this.call('unlock', { start, count }));
  }

  /** `fcntl(fd, F_GETLK, ...)` as Python sees it. */
  async getlk(start: number, count: number, write: boolean): Promise<JsonObject | null> {
    return PythonLocker.checked(await this.call('getlk', { start, count, write })).holder as JsonObject | null;
  }
}

/** Bound for a hand-over that takes milliseconds: a hang guard only. */
const HANDOVER_BOUND_MS = 2000;

const scratch = useScratchDir();
let lockPath: string;
const opened: LocksFile[] = [];

beforeEach(() => {
  lockPath = path.join(scratch(), 'interop.lock');
});

afterEach(() => {
  for (const lf of opened.splice(0)) lf.close();
});

function open(): LocksFile {
  const lf = new LocksFile(lockPath);
  opened.push(lf);
  return lf;
}

test('a Python LOCK_EX on bytes 5..7 blocks our read and write locks there, not on 8; probe reports the Python pid', async () => {
  const py = await PythonLocker.start(lockPath);
  const lf = open();
  expect(await py.lock(5, 3, true)).toBe(true);

  const pythonHolder = { start: 5, count: 3, write: true, pid: py.pythonPid };
  expect(lf.probe(6, { write: true })).toEqual(pythonHolder);
  expect(lf.probe(5)).toEqual(pythonHolder);
  expect(lf.probe([0, 100])).toEqual(pythonHolder);
  expect(lf.probe(8, { write: true })).toBeNull();
  expect(lf.probe(4, { write: true })).toBeNull();
  expect(lf.acquireSync(6, { write: true, blocking: false })).toBe(false);
  expect(lf.acquireSync(5, { blocking: false })).toBe(false);
  expect(lf.acquireSync([3, 3], { write: true, blocking: false })).toBe(false);
  expect(await lf.acquire(7, { write: true, blocking: false })).toBe(false);
  expect(() => lf.lockSync(7, { blocking: false })).toThrow(LockBusyError);
  expect(lf.acquireSync(6, { write: true, timeout: 30 })).toBe(false); // a timed-out wait takes nothing
  expect(await lf.acquire(7, { timeout: 30 })).toBe(false);
  expect(lf.held()).toEqual([]);
  expect(lf.acquireSync(8, { write: true, blocking: false })).toBe(true);
  expect(lf.acquireSync(4, { write: true, blocking: false })).toBe(true);
  expect(lf.held()).toEqual([
    { start: 4, count: 1, write: true },
    { start: 8, count: 1, write: true },
  ]);

  // Python unlocks the middle byte only: that byte becomes ours, 5 and 7 stay Python's.
  await py.unlock(6, 1);
  expect(lf.acquireSync(6, { write: true, blocking: false })).toBe(true);
  expect(lf.probe(5, { write: true })).toEqual({ start: 5, count: 1, write: true, pid: py.pythonPid });
  expect(lf.probe(7, { write: true })).toEqual({ start: 7, count: 1, write: true, pid: py.pythonPid });
});

test('our write lock on bytes 10..11 blocks Python LOCK_EX and LOCK_SH there, not on 12; Python sees an OFD holder (pid -1)', async () => {
  const py = await PythonLocker.start(lockPath);
  const lf = open();
  expect(lf.acquireSync([10, 2], { write: true, timeout: 5000 })).toBe(true);

  expect(await py.lock(11, 1, true)).toBe(false);
  expect(await py.lock(10, 1, false)).toBe(false);
  expect(await py.lock(9, 2, true)).toBe(false);
  expect(await py.lock(12, 1, true)).toBe(true);
  expect(await py.lock(9, 1, true)).toBe(true);
  expect(await py.getlk(11, 1, false)).toEqual({ start: 10, count: 2, write: true, pid: -1 });
  expect(lf.probe(12)).toEqual({ start: 12, count: 1, write: true, pid: py.pythonPid });

  // Downgrade to read: Python's shared lock now fits, its exclusive lock still does not.
  expect(lf.acquireSync([10, 2], { timeout: 5000 })).toBe(true);
  expect(await py.lock(10, 2, true)).toBe(false);
  expect(await py.lock(10, 2, false)).toBe(true);
  expect(await py.getlk(10, 1, true)).toEqual({ start: 10, count: 2, write: false, pid: -1 });

  // Released: Python can take the exclusive lock (converting its own shared one).
  lf.release();
  expect(await py.lock(10, 2, true)).toBe(true);
  expect(lf.probe([10, 2])).toEqual({ start: 9, count: 4, write: true, pid: py.pythonPid });
});

test('a Python LOCK_SH is compatible with our read lock and blocks our write lock', async () => {
  const py = await PythonLocker.start(lockPath);
  const lf = open();
  expect(await py.lock(20, 4, false)).toBe(true);

  expect(lf.probe([20, 4])).toBeNull();
  expect(lf.acquireSync([20, 4], { blocking: false })).toBe(true);
  expect(await lf.acquire([18, 10], { blocking: false })).toBe(true);
  expect(lf.held()).toEqual([{ start: 18, count: 10, write: false }]);
  expect(lf.probe(21, { write: true })).toEqual({ start: 20, count: 4, write: false, pid: py.pythonPid });
  // A conversion of our read lock to write is refused and leaves the read lock in place.
  expect(lf.acquireSync(21, { write: true, blocking: false })).toBe(false);
  expect(await lf.acquire([20, 4], { write: true, blocking: false })).toBe(false);
  expect(lf.held()).toEqual([{ start: 18, count: 10, write: false }]);
  expect(await py.lock(19, 1, true)).toBe(false); // our read lock blocks Python's exclusive lock
  // Outside Python's range the conversion succeeds.
  expect(lf.acquireSync([24, 2], { write: true, blocking: false })).toBe(true);
  expect(lf.held()).toEqual([
    { start: 18, count: 6, write: false },
    { start: 24, count: 2, write: true },
    { start: 26, count: 2, write: false },
  ]);
});

test('blocking waits end when the other side releases, in both directions, and when Python exits', async () => {
  const py = await PythonLocker.start(lockPath);
  const lf = open();

  // We wait for Python.
  expect(await py.lock(40, 1, true)).toBe(true);
  let granted = false;
  const ours = lf.acquire(40, { write: true }).then((v) => {
    granted = v;
    return v;
  });
  await untilBlocked(lockPath, (w) => w.kind === 'OFDLCK' && w.start === 40 && w.write); // we really wait in the kernel
  expect(await py.getlk(40, 1, true)).toBeNull(); // Python's own lock; our wait holds nothing
  expect(granted).toBe(false);
  const t0 = performance.now();
  await py.unlock(40, 1);
  expect(await ours).toBe(true);
  expect(performance.now() - t0).toBeLessThan(HANDOVER_BOUND_MS);
  expect(await py.getlk(40, 1, false)).toEqual({ start: 40, count: 1, write: true, pid: -1 });

  // Python waits for us (its blocking lockf answers only once granted).
  const id = py.postBlockingLock(40, 1, false);
  // The kernel lists Python's request as blocked on our lock: it really waits (a check before
  // it got there would prove nothing), holds nothing yet, and has not answered.
  await untilBlocked(lockPath, (w) => w.pid === py.pythonPid && w.start === 40 && !w.write);
  expect(lf.probe(40, { write: true })).toBeNull();
  expect(py.child.pending).toEqual([]);
  lf.release(40);
  const t1 = performance.now();
  expect(PythonLocker.checked(await py.reply(id, HANDOVER_BOUND_MS)).granted).toBe(true);
  expect(performance.now() - t1).toBeLessThan(HANDOVER_BOUND_MS);
  expect(lf.probe(40, { write: true })).toEqual({ start: 40, count: 1, write: false, pid: py.pythonPid });

  // Python exits holding a lock: our waiting acquire gets it.
  expect(await py.lock(41, 1, true)).toBe(true);
  const afterExit = lf.acquire([40, 2], { write: true });
  py.post('exit');
  const t2 = performance.now();
  expect(await afterExit).toBe(true);
  expect(performance.now() - t2).toBeLessThan(HANDOVER_BOUND_MS);
  expect(lf.held()).toEqual([{ start: 40, count: 2, write: true }]);
});
