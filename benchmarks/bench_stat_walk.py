"""The raw limit of a cache check, and whether it can run on both cores (issue #17).

    python benchmarks/bench_stat_walk.py --notes 100000 [--shape seed] [--decks-dir DIR] [--rounds 7]

A warm cache check must at least list every folder and stat every note (os.scandir + stat):
no cache can answer "has any note changed?" for less. This measures that walk, and the same
walk split over 2 threads and over 2 processes, turn about (one round runs every variant once,
in a rotating order), on the same files with the page cache warm. Each variant produces what a
cache check needs, every note's stamp (path, size, mtime_ns, ctime_ns, inode) in one list:

* ``1 thread``       — one scandir + stat walk;
* ``1 thread, sum``  — the same walk keeping only a running total (no per-note tuple);
* ``1 thread, dir fd``  — the same walk through folder descriptors (stat is fstatat(dirfd, name));
* ``1 thread, listdir + fstatat, sum`` — names from ``os.listdir`` (no DirEntry objects), every
  entry stat'ed through its folder's descriptor, a running total: the fastest one-thread walk
  found, the limit that ``bench_vs_anki.py`` and ``bench_core.py`` print;
* ``trainer's walk`` — ``trainer.walk.walk_packed``: folders listed, then the stat calls shared
  with a forked child, each half packed (paths joined, numbers as one array) where it was found;
* ``scandir only``   — the walk without the stat calls (d_type answers is_dir): what listing costs;
* ``2 threads``      — two threads pull folders from a shared stack (scandir and stat release the
  GIL, the per-entry Python work does not);
* ``2 processes``    — the folders are split in two, a forked child walks one half and sends its
  stamps back through a pipe (marshal), the parent walks the other half meanwhile;
* ``2 processes, compare in child`` — the same split, but each side only returns a digest of its
  stamps, as a child holding the (forked) cache would return only "unchanged": the lower bound
  of a process split.

Each variant's ratio is the median of its per-round ratios to ``1 thread`` (< 1 pays). The
functions are imported by ``bench_vs_anki.py`` for the stat-only limit printed beside its figures.
"""

from __future__ import annotations

import argparse
import marshal
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_deck  # noqa: E402

Stamp = tuple  # (path, size, mtime_ns, ctime_ns, ino)


# ---------------------------------------------------------------- one thread


def stamps_one(root: str) -> list[Stamp]:
    """Every note's stamp, one thread (the reference)."""
    out: list[Stamp] = []
    append = out.append
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as it:
            for e in it:
                name = e.name
                if name[0] == ".":
                    continue
                if e.is_dir(follow_symlinks=False):
                    stack.append(e.path)
                elif name.endswith(".md"):
                    st = e.stat(follow_symlinks=False)
                    append((e.path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
    return out


def sum_one(root: str) -> int:
    """bench_core's stat-only walk: scandir + stat, keeping a running total only."""
    n = 0
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as it:
            for e in it:
                if e.name[0] == ".":
                    continue
                if e.is_dir(follow_symlinks=False):
                    stack.append(e.path)
                elif e.name.endswith(".md"):
                    n += e.stat(follow_symlinks=False).st_size
    return n


def stamps_one_fd(root: str) -> list[Stamp]:
    """The reference walk through folder descriptors: stat becomes fstatat(dirfd, name), so the
    kernel does not resolve the whole path again for every note."""
    out: list[Stamp] = []
    append = out.append
    stack = [root]
    while stack:
        folder = stack.pop()
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            with os.scandir(fd) as it:
                for e in it:
                    name = e.name
                    if name[0] == ".":
                        continue
                    if e.is_dir(follow_symlinks=False):
                        stack.append(folder + "/" + name)
                    elif name.endswith(".md"):
                        st = e.stat(follow_symlinks=False)
                        append((folder + "/" + name, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
        finally:
            os.close(fd)
    return out


def sum_listdir(root: str) -> int:
    """The fastest one-thread walk found, keeping a running total: ``os.listdir`` (names only, no
    DirEntry objects) and ``stat(name, dir_fd=...)`` of every entry, a folder told by its mode
    (``trainer.walk`` walks this way, then shares the stat calls with a child). The stat-only limit
    ``bench_core.py`` and ``bench_vs_anki.py`` time in process, and the latter as a process of its
    own (this function's source)."""
    import os

    n = 0
    stack = [root]
    stat = os.stat
    while stack:
        folder = stack.pop()
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for name in os.listdir(fd):
                if name[0] == ".":
                    continue
                st = stat(name, dir_fd=fd, follow_symlinks=False)
                if name.endswith(".md"):
                    n += st.st_size
                elif st.st_mode & 0o170000 == 0o040000:
                    stack.append(folder + "/" + name)
        finally:
            os.close(fd)
    return n


def trainers_walk(root: str) -> tuple:
    """``trainer.walk.walk_packed``: the folders listed, the stat calls shared with a forked child,
    each half's stamps packed where they were found (what ``trainer due`` runs in its child)."""
    from trainer.walk import walk_packed

    return walk_packed(root, clean_temp=False)


def list_one(root: str) -> int:
    """The walk without stat: what listing the folders alone costs."""
    n = 0
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as it:
            for e in it:
                if e.name[0] == ".":
                    continue
                if e.is_dir(follow_symlinks=False):
                    stack.append(e.path)
                elif e.name.endswith(".md"):
                    n += 1
    return n


# ---------------------------------------------------------------- the splits


def _walk_into(stack: list[str], out: list[Stamp]) -> None:
    append = out.append
    while stack:
        with os.scandir(stack.pop()) as it:
            for e in it:
                name = e.name
                if name[0] == ".":
                    continue
                if e.is_dir(follow_symlinks=False):
                    stack.append(e.path)
                elif name.endswith(".md"):
                    st = e.stat(follow_symlinks=False)
                    append((e.path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))


def stamps_threads(root: str, workers: int = 2) -> list[Stamp]:
    """Threads pull folders from one shared stack; each lists its folder and stats its notes."""
    pending = [root]
    lock = threading.Lock()
    active = [0]
    done = threading.Event()
    parts: list[list[Stamp]] = [[] for _ in range(workers)]

    def work(k: int) -> None:
        append = parts[k].append
        while True:
            with lock:
                if pending:
                    folder = pending.pop()
                    active[0] += 1
                elif active[0] == 0:
                    done.set()
                    return
                else:
                    folder = None
            if folder is None:  # another thread may still push folders
                if done.wait(0.0002):
                    return
                continue
            subdirs = []
            with os.scandir(folder) as it:
                for e in it:
                    name = e.name
                    if name[0] == ".":
                        continue
                    if e.is_dir(follow_symlinks=False):
                        subdirs.append(e.path)
                    elif name.endswith(".md"):
                        st = e.stat(follow_symlinks=False)
                        append((e.path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
            with lock:
                pending.extend(subdirs)
                active[0] -= 1

    threads = [threading.Thread(target=work, args=(k,)) for k in range(1, workers)]
    for t in threads:
        t.start()
    work(0)
    for t in threads:
        t.join()
    out = parts[0]
    for p in parts[1:]:
        out.extend(p)
    return out


def split_folders(root: str, at_least: int) -> tuple[list[str], list[Stamp]]:
    """Breadth first until there are ``at_least`` folders to share out; notes met on the way
    are stamped here."""
    level = [root]
    notes: list[Stamp] = []
    while level and len(level) < at_least:
        nxt: list[str] = []
        for folder in level:
            with os.scandir(folder) as it:
                for e in it:
                    if e.name[0] == ".":
                        continue
                    if e.is_dir(follow_symlinks=False):
                        nxt.append(e.path)
                    elif e.name.endswith(".md"):
                        st = e.stat(follow_symlinks=False)
                        notes.append((e.path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
        if not nxt:
            return [], notes
        level = nxt
    return level, notes


def stamps_processes(root: str, workers: int = 2, *, digest_only: bool = False) -> list[Stamp] | int:
    """The folders split round-robin; ``workers - 1`` forked children walk their share and send
    the stamps (or, ``digest_only``, a hash of them) back through a pipe; the parent walks share 0."""
    folders, out = split_folders(root, 8 * workers)
    shares = [folders[k::workers] for k in range(workers)]
    children = []
    for k in range(1, workers):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            try:
                os.close(r)
                mine: list[Stamp] = []
                _walk_into(list(shares[k]), mine)
                blob = marshal.dumps(hash(tuple(mine)) if digest_only else mine)
                with os.fdopen(w, "wb") as fh:
                    fh.write(blob)
            finally:
                os._exit(0)
        os.close(w)
        children.append((pid, r))
    _walk_into(list(shares[0]), out)
    digest = hash(tuple(out)) if digest_only else 0
    for pid, r in children:
        with os.fdopen(r, "rb") as fh:
            got = marshal.loads(fh.read())
        os.waitpid(pid, 0)
        if digest_only:
            digest ^= got
        else:
            out.extend(got)
    return digest if digest_only else out


VARIANTS = [
    ("1 thread", stamps_one),
    ("1 thread, sum", sum_one),
    ("1 thread, dir fd (fstatat)", stamps_one_fd),
    ("1 thread, listdir + fstatat, sum", sum_listdir),
    ("scandir only", list_one),
    ("2 threads", lambda root: stamps_threads(root, 2)),
    ("2 processes", lambda root: stamps_processes(root, 2)),
    ("2 processes, compare in child", lambda root: stamps_processes(root, 2, digest_only=True)),
    ("trainer's walk (2 processes, packed)", trainers_walk),
]


def measure(root: str, rounds: int) -> dict[str, dict[str, float]]:
    """Median time (s) of each variant and its median per-round ratio to '1 thread'."""
    n = len(stamps_one(root))
    assert len(stamps_threads(root, 2)) == n and len(stamps_processes(root, 2)) == n  # type: ignore[arg-type]
    assert list_one(root) == n and len(stamps_one_fd(root)) == n and sum_listdir(root) == sum_one(root)
    assert trainers_walk(root)[0][2] == n
    for _ in range(2):  # warm the page and dentry caches
        stamps_one(root)
    times: dict[str, list[float]] = {name: [] for name, _ in VARIANTS}
    for r in range(rounds):
        order = VARIANTS[r % len(VARIANTS):] + VARIANTS[: r % len(VARIANTS)]
        for name, fn in order:
            t0 = time.perf_counter()
            fn(root)
            times[name].append(time.perf_counter() - t0)
    ref = times["1 thread"]
    return {name: {"median_s": statistics.median(ts),
                   "ratio": statistics.median(t / b for t, b in zip(ts, ref))} for name, ts in times.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="stat-only walk: one thread vs 2 threads vs 2 processes")
    ap.add_argument("--notes", type=int, default=100_000)
    ap.add_argument("--shape", choices=gen_deck.SHAPES, default="mixed")
    ap.add_argument("--deck", help="walk this existing deck instead of generating one")
    ap.add_argument("--decks-dir", help="generate (or reuse) the deck here instead of a temp dir")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=7)
    a = ap.parse_args(argv)

    tmp = None
    if a.deck:
        deck = Path(a.deck)
    else:
        base = Path(a.decks_dir) if a.decks_dir else Path(tmp := tempfile.mkdtemp(prefix="trainer-statwalk-"))
        deck = base / f"deck-{a.notes}-s{a.seed}" if a.shape == "mixed" else base / f"deck-{a.notes}-s{a.seed}-{a.shape}"
        if not (deck / ".complete").exists():
            shutil.rmtree(deck, ignore_errors=True)
            gen_deck.generate(deck, a.notes, a.seed, a.shape)
            (deck / ".complete").touch()
    load_before = os.getloadavg()[0]
    try:
        res = measure(str(deck), a.rounds)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    n = len(stamps_one(str(deck))) if not tmp else a.notes
    print(f"\nstat-only walk of {n:,} notes ({a.shape} shape) — python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, {a.rounds} rounds turn about\n")
    width = max(len(k) for k in res)
    print(f"{'variant'.ljust(width)} | median ms | vs 1 thread")
    print(f"{'-' * width}-+-----------+------------")
    for name, v in res.items():
        print(f"{name.ljust(width)} | {v['median_s'] * 1000:9.1f} | {v['ratio']:9.2f}×")
    print("\n(ratio = median of per-round ratios to '1 thread'; below 1 pays; "
          f"1-min load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after: a split pays "
          "only while the other core is free)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
