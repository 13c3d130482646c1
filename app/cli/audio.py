"""``python -m app audio``: pre-render call audio and check the speech engine.

python -m app audio render PATH... [--out DIR]
python -m app audio check
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser("audio", help="Render call audio; check the speech engine.")
    commands = parser.add_subparsers(dest="audio_command", metavar="ACTION", required=True)

    render = commands.add_parser(
        "render",
        help="Render every clip of the scenarios into the audio cache (or copy them to --out).",
    )
    render.add_argument("paths", nargs="+", metavar="PATH", help="scenario files or folders")
    render.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        help="also copy the clips to DIR/<scenario-id>/<clip>.wav",
    )
    render.set_defaults(func=run_render)

    check = commands.add_parser("check", help="Say whether speech is available here.")
    check.add_argument(
        "--quick", action="store_true", help="only look for the engine; render no test clip"
    )
    check.set_defaults(func=run_check)


def load_scenarios(paths: list[str]) -> tuple[list[tuple[Path, dict]], list[str]]:
    """(path, scenario) pairs of the valid files, and every error as a printable line."""
    from app.core.scenario import load_paths

    loaded, problems = load_paths(paths)
    errors = [str(p) for p in problems if p.is_error]
    return [(Path(item.path), item.data) for item in loaded], errors


def run_render(args: argparse.Namespace) -> int:
    from app import audio
    from app.audio import cache
    from app.cli.progress import ProgressBar

    scenarios, problems = load_scenarios(args.paths)
    if problems:
        for line in problems:
            print(line)
        print(f"{len(problems)} problem(s); nothing rendered", file=sys.stderr)
        return 1
    ok, message = audio.speech_available()
    if not ok:
        raise audio.SpeechUnavailable(message)

    requests = {path: audio.scenario_clips(data) for path, data in scenarios}
    total = sum(len(clips) for clips in requests.values())
    already = sum(
        cache.cached_clip(*request) is not None
        for clips in requests.values()
        for request in clips.values()
    )
    cache.remove_stale_temp_files()
    bar = ProgressBar("audio", stream=sys.stderr)  # the stream of now, not of import time
    started = time.perf_counter()
    done_before, seconds = 0, 0.0
    try:
        bar(0, total)
        for _path, data in scenarios:

            def progress(done: int, _total: int, _name: str, before: int = done_before) -> None:
                bar(before + done, total)

            rendered = audio.render_scenario(data, out_dir=args.out, progress=progress)
            done_before += len(rendered)
            seconds += sum(audio.wav_duration(p) for p in rendered.values())
    finally:
        bar.close()
    elapsed = time.perf_counter() - started
    where = f" into {args.out}" if args.out else f" into {cache.cache_dir()}"
    print(
        f"{total} clip(s) for {len(scenarios)} scenario(s){where}: "
        f"{total - already} rendered, {already} from the cache, "
        f"{seconds:.1f} s of audio in {elapsed:.1f} s"
    )
    return 0


def run_check(args: argparse.Namespace) -> int:
    import tempfile

    from app import audio
    from app.audio import synth

    ok, message = audio.speech_available()
    print(message)
    if not ok:
        return 1
    if args.quick:
        return 0
    # A real clip through the worker pool, outside the cache.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "check.wav"
        started = time.perf_counter()
        duration = synth.render_clip("This is a test call.", audio.DISPATCHER_VOICE, path)
        elapsed = time.perf_counter() - started
    engine = synth.current_engine()
    print(f"Test clip: {duration:.2f} s of audio in {elapsed:.2f} s (engine: {engine}).")
    return 0
