"""``python -m app audio``: pre-render call audio and check the speech engine.

python -m app audio render PATH... [--out DIR]
python -m app audio check [PATH...] [--quick]

``audio check`` with scenario paths also checks every call's voices: a caller is heard
in a voice that speaks the caller's language (Spanish callers in espeak-ng's Spanish),
the interpreter in English, and a text-to-911 call has no audio at all. Without
``--quick`` it renders the opening of each call in another language to prove it.
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

    check = commands.add_parser(
        "check",
        help="Say whether speech is available here; with PATHs, check each call's voices.",
    )
    check.add_argument(
        "paths", nargs="*", metavar="PATH", help="scenario files or folders to check"
    )
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


def voice_problems(data: dict) -> list[str]:
    """What is wrong with the voices of one call (empty when every clip fits)."""
    from app import audio
    from app.audio.voices import language_of_voice
    from app.core.scenario import call_kind

    kind = call_kind(data)
    clips = audio.scenario_clips(data)
    if kind.is_text:
        return [f"a text-to-911 call has {len(clips)} clip(s)"] if clips else []
    wanted = kind.language.split("-")[0].lower()
    problems = []
    for name, request in clips.items():
        relayed = name.startswith("en-")
        heard = language_of_voice(request.voice)
        expected = "en" if relayed else wanted
        if heard != expected:
            who = "interpreter" if relayed else "caller"
            problems.append(
                f"clip {name}: the {who} speaks {expected!r} but the voice "
                f"{request.voice.voice!r} speaks {heard!r}"
            )
    if "opening" not in clips:
        problems.append("the call has no opening to play")
    return problems


def check_scenarios(paths: list[str], render: bool) -> int:
    """Check the voices of every call under ``paths``; 0 when all fit, else 1."""
    from app import audio
    from app.core.scenario import call_kind

    scenarios, errors = load_scenarios(paths)
    for line in errors:
        print(line)
    bad = len(errors)
    counts = {"voice": 0, "text": 0, "other language": 0}
    for path, data in scenarios:
        kind = call_kind(data)
        counts["text" if kind.is_text else "voice"] += 1
        problems = voice_problems(data)
        if kind.other_language and not kind.is_text:
            counts["other language"] += 1
            if render and not problems:
                clip = audio.scenario_clips(data)["opening"]
                try:
                    audio.clip_for_text(*clip)
                except audio.AudioError as exc:
                    problems.append(f"the opening did not render in {clip.voice.voice}: {exc}")
        for problem in problems:
            print(f"{path}: {problem}")
        bad += len(problems)
    print(
        f"Voices checked for {len(scenarios)} call(s): {counts['voice']} voice, "
        f"{counts['text']} text (no audio), {counts['other language']} in another language"
        + (", openings rendered" if render else "")
        + f"; {bad} problem(s)."
    )
    return 1 if bad else 0


def run_check(args: argparse.Namespace) -> int:
    import tempfile

    from app import audio
    from app.audio import synth

    ok, message = audio.speech_available()
    print(message)
    if args.paths:
        return check_scenarios(args.paths, render=ok and not args.quick) or (0 if ok else 1)
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
