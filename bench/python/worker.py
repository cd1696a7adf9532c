#!/usr/bin/env python3
"""Python worker of the locksfile benchmark (standard library only).

Implements, with the same line protocol and measurements as the Node workers
(bench/roles/*.ts), the two Python peers of the issue:

* ``py-lockf``: what pylocksfile does, ``fcntl.lockf(fd, LOCK_EX, 1, n)`` on byte n
  (POSIX record locks, owned by the process).
* ``py-shm`` / ``py-shm-<poll>``: what shmlock does, exclusive creation of
  ``/dev/shm/<name>`` (O_CREAT|O_EXCL|O_RDWR, 0600) holding a 16-byte uuid4, released by
  unlinking it; a waiter retries the creation every ``pollS`` seconds.

Usage: python3 worker.py '<WorkerConfig JSON>'   (roles: uncontended, counter, race)
"""
import fcntl
import json
import math
import os
import sys
import time
import uuid

COUNTER_LOG_OFFSET = 64
COUNTER_MIN_OPS = 2
_LOG_BASE = math.log(1.02)


def send(type_, **fields):
    fields["type"] = type_
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


class Histogram:
    """Same buckets as bench/harness/histogram.ts (2 % wide, from 0.01 us)."""

    def __init__(self):
        self.counts = {}
        self.n = 0
        self.sum = 0.0
        self.max = 0.0

    def record(self, us):
        b = 0 if us <= 0.01 else int(math.floor(math.log(us / 0.01) / _LOG_BASE)) + 1
        self.counts[b] = self.counts.get(b, 0) + 1
        self.n += 1
        self.sum += us
        if us > self.max:
            self.max = us

    def data(self):
        return {"buckets": [[b, c] for b, c in self.counts.items()], "count": self.n, "sumUs": self.sum, "maxUs": self.max}


class Lockf:
    """pylocksfile's mapping: lock index n is byte n, fcntl.lockf record locks."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)

    def acquire(self, n, write=True):
        fcntl.lockf(self.fd, fcntl.LOCK_EX if write else fcntl.LOCK_SH, 1, n)

    def release(self, n):
        fcntl.lockf(self.fd, fcntl.LOCK_UN, 1, n)

    def close(self):
        os.close(self.fd)


class Shm:
    """shmlock's protocol: exclusive creation of /dev/shm/<name> holding a uuid4."""

    def __init__(self, name, poll_s):
        self.path = "/dev/shm/" + name
        self.poll_s = poll_s
        self.fd = -1

    def acquire(self, n=0, write=True):
        while True:
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
            except FileExistsError:
                if self.poll_s is None:
                    raise
                time.sleep(self.poll_s)
                continue
            os.write(fd, uuid.uuid4().bytes)
            self.fd = fd
            return

    def release(self, n=0):
        os.unlink(self.path)
        os.close(self.fd)
        self.fd = -1

    def close(self):
        pass


def open_lock(cfg):
    impl = cfg["impl"]
    if impl == "py-lockf":
        return Lockf(cfg["lockPath"])
    if impl.startswith("py-shm"):
        return Shm(cfg["shmName"], cfg.get("pollS") or None)
    raise ValueError("unknown python implementation " + impl)


def wait_until_ns(at_ns):
    remaining = (at_ns - time.monotonic_ns()) / 1e9
    if remaining > 0.003:
        time.sleep(remaining - 0.002)
    while time.monotonic_ns() < at_ns:
        pass


def pread_u32(fd, pos):
    b = os.pread(fd, 4, pos)
    return int.from_bytes(b, "little") if len(b) == 4 else 0


def pwrite_u32(fd, pos, value):
    os.pwrite(fd, value.to_bytes(4, "little"), pos)


def serve(on_run):
    send("ready")
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["cmd"] == "exit":
            return
        send("result", **on_run(cmd))


def role_uncontended(cfg):
    """Same protocol as bench/roles/uncontended.ts: the first run calibrates (cold)."""
    lock = open_lock(cfg)
    state = {"count": 0}

    def pairs(n):
        t0 = time.perf_counter_ns()
        for _ in range(n):
            lock.acquire(0)
            lock.release(0)
        return (time.perf_counter_ns() - t0) / 1e3

    def run(cmd):
        if state["count"] == 0:
            n, spent, done = 8, 0.0, 0
            while spent < cfg["warmupMs"] * 1000:
                spent += pairs(n)
                done += n
                n *= 2
            state["count"] = max(20, min(5_000_000, round(cfg["repMs"] * 1000 * done / spent)))
            return {"usPerPair": spent / done, "pairs": done}
        n = max(5, state["count"] >> 2) if cmd.get("kind") == "warmup" else state["count"]
        return {"usPerPair": pairs(n) / n, "pairs": n}

    serve(run)
    lock.close()


def role_counter(cfg):
    lock = open_lock(cfg)
    st = os.open(cfg["statePath"], os.O_RDWR | os.O_CREAT, 0o644)
    wid = bytes([cfg["worker"] + 1])
    hold_s = cfg.get("holdUs", 0) / 1e6

    def run(cmd):
        start_at = int(cmd["startAtNs"])
        deadline = start_at + int(cmd["durationMs"] * 1e6)
        hist = Histogram()
        ops = 0
        wait_until_ns(start_at)
        cpu0 = time.process_time_ns()
        t0 = time.monotonic_ns()
        while ops < COUNTER_MIN_OPS or time.monotonic_ns() < deadline:
            a = time.monotonic_ns()
            lock.acquire(0)
            hist.record((time.monotonic_ns() - a) / 1e3)
            v = pread_u32(st, 0)
            pwrite_u32(st, 0, v + 1)
            os.pwrite(st, wid, COUNTER_LOG_OFFSET + v)
            if hold_s > 0:
                end = time.perf_counter() + hold_s
                while time.perf_counter() < end:
                    pass
            lock.release(0)
            ops += 1
        t1 = time.monotonic_ns()
        cpu_us = (time.process_time_ns() - cpu0) / 1e3
        return {"ops": ops, "startNs": str(t0), "endNs": str(t1), "cpuUs": cpu_us, "lat": hist.data(), "eld": None}

    serve(run)
    lock.close()


def role_race(cfg):
    lock = open_lock(cfg)
    st = os.open(cfg["statePath"], os.O_RDWR | os.O_CREAT, 0o644)
    wid = cfg["worker"] + 1
    tracks, laps = cfg["tracks"], cfg["laps"]
    violations = [0]

    def enter(t):
        if pread_u32(st, t * 8) != 0:
            violations[0] += 1
        pwrite_u32(st, t * 8, wid)
        pwrite_u32(st, t * 8 + 4, pread_u32(st, t * 8 + 4) + 1)

    def leave(t):
        if pread_u32(st, t * 8) != wid:
            violations[0] += 1
        pwrite_u32(st, t * 8, 0)

    def run(cmd):
        violations[0] = 0
        steps = cmd.get("laps", laps) * tracks
        cur = (cfg["worker"] * tracks) // cfg["workers"]
        wait_until_ns(int(cmd["startAtNs"]))
        cpu0 = time.process_time_ns()
        t0 = time.monotonic_ns()
        lock.acquire(cur)
        enter(cur)
        for _ in range(steps):
            nxt = 0 if cur + 1 == tracks else cur + 1
            lock.acquire(nxt)
            enter(nxt)
            leave(cur)
            lock.release(cur)
            cur = nxt
        leave(cur)
        lock.release(cur)
        t1 = time.monotonic_ns()
        cpu_us = (time.process_time_ns() - cpu0) / 1e3
        return {"steps": steps, "violations": violations[0], "startNs": str(t0), "endNs": str(t1), "cpuUs": cpu_us}

    serve(run)
    lock.close()


def main():
    cfg = json.loads(sys.argv[1])
    roles = {"uncontended": role_uncontended, "counter": role_counter, "race": role_race}
    role = roles.get(cfg["role"])
    if role is None:
        raise ValueError("python worker has no role " + cfg["role"])
    role(cfg)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # reported to the runner, which marks the case FAILED
        send("error", message="%s: %s" % (type(e).__name__, e))
        sys.exit(1)
