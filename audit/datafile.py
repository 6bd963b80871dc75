"""The one reader of the YAML data files: the rule pack (``lexicons/asr_zh.yaml``, ``lexicons/<profile>/*.yaml``) and
the scorecards (``scorecards/*.yaml``).

Data, not code: a QA team edits these files without touching Python, so a mistake is an error naming the file, the
line and the field, never a silent partial load. Every file is refused here, the same way, for what is wrong whatever
it means: too big, not UTF-8, bad YAML syntax, a YAML anchor or alias, a key given twice, a key its loader does not
declare. Each loader declares its keys (a ``Keys`` shape) and checks the values itself, raising ``LineMap.error`` so
that its messages have the same form: ``<file>: line <n>, field '<key.key>': <problem>``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import yaml

from audit.errors import LexiconError

MAX_DATA_FILE_BYTES = 2 * 1024 * 1024  # a data file is a few KB; anything this big is a mistake or an attack
TOP_LEVEL = "(top level)"  # the field named for a problem outside every key
NO_ANCHORS = "YAML aliases (*name) are not allowed, nor anchors (&name)"
_MAP_TAG = yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG
_LIST_TAG = yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG
_MERGE_TAG = "tag:yaml.org,2002:merge"


def content_version(*blobs: bytes) -> str:
    """First 12 hex digits of the sha256 of the files' bytes: the version recorded with every result."""
    digest = hashlib.sha256()
    for blob in blobs:
        digest.update(hashlib.sha256(blob).digest())
    return digest.hexdigest()[:12]


def field_error(source: str | Path, line: int | None, field: str, problem: str) -> LexiconError:
    """The one form of a data-file error: ``<file>: line <n>, field '<field>': <problem>``."""
    where = f"line {line}, " if line else ""
    return LexiconError(source, f"{where}field '{field}': {problem}")


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(path) or TOP_LEVEL


# ---------------------------------------------------------------------------------------------------------------------
# What a loader declares


@dataclass(frozen=True)
class Keys:
    """A mapping that may hold only these keys, each with the shape of its value (``None``: any value, not looked
    into). Which keys are required, and what the values mean, the loader checks itself."""

    shapes: dict[str, Shape]
    noun: str = "field"  # what a key names, for "unknown category 'x'; known: ..."


@dataclass(frozen=True)
class ListOf:
    """A list whose items have this shape."""

    item: Shape


Shape = Union[Keys, ListOf, None]


def fields(*names: str, shape: Shape = None, noun: str = "field") -> Keys:
    """``Keys`` whose values all have the same shape: ``fields("min", "max")``, or
    ``fields(*CATEGORIES, shape=fields("deduct", "cap"), noun="category")``."""
    return Keys(dict.fromkeys(names, shape), noun)


# ---------------------------------------------------------------------------------------------------------------------
# What a loader gets


class LineMap(dict):
    """A YAML mapping that remembers its file, its keys from the top and the line of each of its keys, so whatever
    checks a value can say where it is."""

    def __init__(self, source: Path, path: tuple[str, ...], line: int):
        super().__init__()
        self.source, self.path, self.line = source, path, line
        self.lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int:
        """The line of ``key``, or of this mapping when the key is absent (a missing field is missing here)."""
        return self.lines.get(key, self.line)

    def error(self, key: Any, problem: str) -> LexiconError:
        """The error for the value under ``key``, named by its keys from the top (``quality.silence_ratio.max``)."""
        return field_error(self.source, self.line_of(key), _dotted(self.path + (str(key),)), problem)

    def empty(self, key: Any) -> LineMap:
        """An empty mapping in place of a missing one under ``key``: its errors point here."""
        return LineMap(self.source, self.path + (str(key),), self.line_of(key))


def plain(value: Any) -> Any:
    """YAML data as built-in dicts and lists, for what is kept after loading (spaCy token patterns)."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


@dataclass(frozen=True)
class DataFile:
    path: Path
    raw: bytes  # as read, for content_version
    data: LineMap


def load(path: Path, shape: Keys) -> DataFile:
    """Read one data file whose top level is a mapping of ``shape``, or raise a ``LexiconError`` saying why not."""
    raw, text = _read(path)
    node = _compose(path, text)
    data = _Builder(path).build(node, shape, ()) if node is not None else None
    if not isinstance(data, LineMap):
        line = node.start_mark.line + 1 if node is not None else 1
        raise field_error(path, line, TOP_LEVEL, f"expected a mapping ({shape.noun}s: {', '.join(shape.shapes)})")
    return DataFile(path, raw, data)


# ---------------------------------------------------------------------------------------------------------------------
# Reading: bytes, then YAML nodes (anchors refused), then values (keys checked)


def _read(path: Path) -> tuple[bytes, str]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise LexiconError(path, f"cannot read lexicon file ({error.strerror or error})") from error
    if len(raw) > MAX_DATA_FILE_BYTES:
        raise LexiconError(path, f"file is {len(raw)} bytes; lexicon files are limited to {MAX_DATA_FILE_BYTES}")
    try:
        return raw, raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise LexiconError(path, f"not UTF-8 text (byte {error.start})") from error


class _AnchorFound(Exception):
    def __init__(self, line: int):
        super().__init__(NO_ANCHORS)
        self.line = line


class _Composer(yaml.SafeLoader):
    """Composes YAML nodes, refusing an anchor or alias where it stands: nothing is built yet, so an alias bomb
    ("billion laughs") never grows. Keeps the keys it is inside, so that a refusal can name its field."""

    def __init__(self, text: str):
        self.keys: list[str | None] = []  # one per node being composed: its key, or None (document, list item, key)
        super().__init__(text)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        # Popped only on success: when composing fails, `keys` still says where.
        self.keys.append(index.value if isinstance(index, yaml.ScalarNode) else None)
        event = self.peek_event()
        if event.anchor is not None:  # `&name` on this node, or the `*name` of an alias
            raise _AnchorFound(event.start_mark.line + 1)
        node = super().compose_node(parent, index)
        self.keys.pop()
        return node

    def field(self) -> str:
        return _dotted(tuple(key for key in self.keys if key is not None))


def _compose(path: Path, text: str) -> yaml.Node | None:
    try:
        composer = _Composer(text)
    except yaml.reader.ReaderError as error:  # a control character, found before any parsing
        line = text.count("\n", 0, error.position) + 1
        raise field_error(path, line, _field_before(text, error.position) or TOP_LEVEL,
                          f"invalid YAML: {error.reason} ({text[error.position]!r})") from error
    try:
        return composer.get_single_node()
    except _AnchorFound as found:
        raise field_error(path, found.line, composer.field(), NO_ANCHORS) from None
    except yaml.MarkedYAMLError as error:
        # The parser reads ahead, so the composer can be a key behind the error: name the last key before the error,
        # else before the bracket or quote left open, else where the composer is.
        marks = [mark for mark in (error.problem_mark, error.context_mark) if mark is not None]
        field = next(filter(None, (_field_before(text, mark.index) for mark in marks)), composer.field())
        line, at = (marks[0].line + 1, f" at column {marks[0].column + 1}") if marks else (None, "")
        context = f" ({error.context} on line {error.context_mark.line + 1})" if error.context_mark else ""
        raise field_error(path, line, field, f"invalid YAML{at}: {error.problem}{context}") from error


def _field_before(text: str, index: int) -> str | None:
    """The keys to the last key in ``text[:index]``, or None where that much does not parse on its own."""
    try:
        node = _Composer(text[:index]).get_single_node()
    except (yaml.YAMLError, _AnchorFound):
        return None
    path: tuple[str, ...] = ()
    while True:
        if isinstance(node, yaml.MappingNode) and node.value and isinstance(node.value[-1][0], yaml.ScalarNode):
            key, node = node.value[-1]
            path += (key.value,)
        elif isinstance(node, yaml.SequenceNode) and node.value:
            node = node.value[-1]
        else:
            return _dotted(path)


class _Builder:
    """Builds values from nodes: mappings as ``LineMap`` (refusing keys given twice and keys the shape does not
    declare), lists as lists, everything else as ``yaml.safe_load`` would."""

    def __init__(self, source: Path):
        self.source = source
        self.constructor = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, shape: Shape, path: tuple[str, ...]) -> Any:
        if isinstance(node, yaml.MappingNode) and node.tag == _MAP_TAG:
            return self._mapping(node, shape if isinstance(shape, Keys) else None, path)
        if isinstance(node, yaml.SequenceNode) and node.tag == _LIST_TAG:
            item = shape.item if isinstance(shape, ListOf) else None
            return [self.build(child, item, path) for child in node.value]
        return self._construct(node, path)

    def _mapping(self, node: yaml.MappingNode, keys: Keys | None, path: tuple[str, ...]) -> LineMap:
        mapping = LineMap(self.source, path, node.start_mark.line + 1)
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise field_error(self.source, line, _dotted(path), "a key must be a plain value, not a list or map")
            if key_node.tag == _MERGE_TAG:  # `<<:` merges what an alias names, or a mapping as easily written out
                raise field_error(self.source, line, _dotted(path + ("<<",)), "YAML merge keys (<<) are not allowed")
            key = self._construct(key_node, path)
            here = path + (str(key),)
            if key in mapping:
                raise field_error(self.source, line, _dotted(here), f"given twice (first on line {mapping.lines[key]})")
            if keys is not None and key not in keys.shapes:
                raise field_error(self.source, line, _dotted(here),
                                  f"unknown {keys.noun} '{key}'; known: {', '.join(keys.shapes)}")
            mapping[key] = self.build(value_node, keys.shapes[key] if keys else None, here)
            mapping.lines[key] = line
        return mapping

    def _construct(self, node: yaml.Node, path: tuple[str, ...]) -> Any:
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.MarkedYAMLError, ValueError) as error:  # an unsafe tag (!!python/...), a date like 2024-13-45
            problem = error.problem if isinstance(error, yaml.MarkedYAMLError) else str(error)
            raise field_error(self.source, node.start_mark.line + 1, _dotted(path),
                              f"invalid value: {problem}") from error
