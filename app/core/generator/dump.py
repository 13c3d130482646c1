"""YAML text for a generated scenario: stable key order, quoted time and channel."""

from __future__ import annotations

import yaml

try:  # libyaml's emitter is several times faster; the output is the same text
    _Base = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Base = yaml.SafeDumper


class _Quoted(str):
    """Text always written in double quotes ("911", "02:40")."""


class ScenarioDumper(_Base):  # type: ignore[misc, valid-type]
    def ignore_aliases(self, data) -> bool:  # shared lists are written out, never as &anchors
        return True


def _quoted(dumper: yaml.SafeDumper, value: _Quoted) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')


def _list(dumper: yaml.SafeDumper, value: list) -> yaml.Node:
    # Short lists of codes read best on one line: [weapons, threats, medical].
    flow = all(isinstance(v, str) and len(v) < 40 for v in value) and len(value) <= 12
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


ScenarioDumper.add_representer(_Quoted, _quoted)
ScenarioDumper.add_representer(list, _list)


def dump_scenario(data: dict) -> str:
    """The scenario as YAML text (keys in the order of ``data``)."""
    call = data.get("call")
    if isinstance(call, dict):
        call = dict(call)
        for key in ("channel", "time"):
            if isinstance(call.get(key), str):
                call[key] = _Quoted(call[key])
        data = dict(data, call=call)
    return yaml.dump(
        data,
        Dumper=ScenarioDumper,
        sort_keys=False,
        allow_unicode=True,
        width=96,
        default_flow_style=False,
    )
