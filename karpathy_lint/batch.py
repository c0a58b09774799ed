"""Linting many files: cache lookups in this process, misses serially or over forked workers.

A fully warm run never imports the parser or the rules, nor starts a worker;
a run without the cache never imports the cache. Results come back in the
order of the files whatever the job count.
"""
from __future__ import annotations

import os
from collections.abc import Callable

from karpathy_lint.engine import FileResult, lint_source, preload
from karpathy_lint.files import InputError, read_bytes


def lint_miss(path: str, settings, cache_root: str | None, keep_source: bool = False) -> FileResult:
    """Read, lint and (with a cache) store one file: the work for one cache miss, in a worker or here.

    `keep_source`: the bytes linted stay on a result that has fixes, so `--fix`
    starts from this parse instead of reading and parsing the file again.
    """
    try:
        source = read_bytes(path)
    except InputError as exc:
        return FileResult(path=path, error=str(exc))
    result = lint_source(path, source, settings)
    if cache_root is not None and result.error is None:
        from karpathy_lint import cache

        # keyed by the bytes linted here, so a file edited since the parent's lookup is never mis-keyed
        cache.store(cache_root, cache.key_for(path, source, settings.fingerprint()), cache.to_json(result))
    if keep_source and any(f.fix is not None for f in result.findings):
        result.source = source
    return result


# Worker state, set once per worker (inherited on fork): the distinct Settings, the cache root and
# whether sources are kept, so a task is (path, index) and no Settings object is pickled per file.
_WORKER: tuple = ((), None, False)


def _init_worker(settings: tuple, root: str | None, keep_source: bool, languages: tuple[str, ...]) -> None:
    global _WORKER
    _WORKER = (settings, root, keep_source)
    preload(languages)


def _pool_task(task) -> tuple[dict, bytes | None]:
    """One miss in a worker: the result as a compact cache payload (cheap to pickle), plus kept bytes."""
    from karpathy_lint import cache

    path, index = task
    settings, root, keep_source = _WORKER
    result = lint_miss(path, settings[index], root, keep_source)
    return cache.to_json(result), result.source


def lint_files(files: list[str], resolver, jobs: int, cache_root: str | None,
               progress: Callable[[], None] | None = None, keep_sources: bool = False) -> list[FileResult]:
    """Lint `files` (settings from `resolver`), looking each up in the cache at `cache_root` first."""
    settings_of = [resolver.for_path(path) for path in files]
    results: list[FileResult | None] = [None] * len(files)

    def done(i: int, result: FileResult) -> None:
        results[i] = result
        if progress:
            progress()

    todo, sizes = (_cache_lookups(files, settings_of, cache_root, done) if cache_root is not None
                   else (list(range(len(files))), {}))
    workers = min(jobs or (os.cpu_count() or 1), max(1, len(todo) // 4))
    if workers <= 1 or len(todo) < 16:
        for i in todo:
            done(i, lint_miss(files[i], settings_of[i], cache_root, keep_sources))
    else:
        _lint_in_workers(files, settings_of, todo, sizes, workers, cache_root, keep_sources, done)
    return [r for r in results if r is not None]


def _cache_lookups(files, settings_of, cache_root: str, done) -> tuple[list[int], dict[int, int]]:
    """Report every hit through `done`; (indices of the misses, their sizes)."""
    from karpathy_lint import cache

    todo: list[int] = []
    sizes: dict[int, int] = {}
    for i, path in enumerate(files):
        try:
            source = read_bytes(path)
        except InputError as exc:
            done(i, FileResult(path=path, error=str(exc)))
            continue
        hit = cache.lookup(cache_root, cache.key_for(path, source, settings_of[i].fingerprint()))
        if hit is None:
            todo.append(i)
            sizes[i] = len(source)
        else:
            done(i, cache.from_json(path, hit))
    return todo, sizes


def _lint_in_workers(files, settings_of, todo, sizes, workers, cache_root, keep_sources, done) -> None:
    import gc
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from karpathy_lint import cache
    from karpathy_lint.languages import language_for

    distinct: dict = {}
    index = [distinct.setdefault(s, len(distinct)) for s in settings_of]
    languages = tuple(sorted({spec.name for i in todo if (spec := language_for(files[i])) is not None}))
    for i in todo:
        if i not in sizes:
            try:
                sizes[i] = os.path.getsize(files[i])
            except OSError:
                sizes[i] = 0
    # biggest files first: the last chunks are small, so no worker is left finishing a giant alone
    order = sorted(todo, key=lambda i: (-sizes.get(i, 0), i))
    tasks = [(files[i], index[i]) for i in order]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    ctx = multiprocessing.get_context(method)
    if method == "fork":
        preload(languages)  # once here; the forked workers inherit it
        gc.freeze()  # workers never scan (or copy) the inherited objects
    chunk = max(1, min(32, len(tasks) // (workers * 4)))
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                                 initargs=(tuple(distinct), cache_root, keep_sources, languages)) as pool:
            # payloads become FileResults as they arrive: the compact payloads are never all held at once
            for i, (payload, source) in zip(order, pool.map(_pool_task, tasks, chunksize=chunk)):
                result = cache.from_json(files[i], payload)
                result.source = source
                done(i, result)
    finally:
        if method == "fork":
            gc.unfreeze()
