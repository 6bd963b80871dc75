"""Rule families, one per module: conduct (prohibited agent conduct), third_party, disclosures, signals,
call_time. They share the per-call view built here and never know about storage, the CLI or the app.

Turns are the units findings point into (``turn`` index, ``char_start``/``char_end`` into that turn's text). For the
disclosure windows ("within the first 3 agent turns") a run of consecutive agent segments counts as one agent turn,
because the recogniser cuts one spoken turn into several segments at pauses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from audit.models import Finding, Turn
from audit.nlp import AnalyzedText
from audit.rulepack import ConductRule, ScopeConfig

AGENT_SIDE = ("agent", "unknown")  # an unknown speaker may be the agent: checked, but flagged for review
CUSTOMER_SIDE = ("customer", "unknown")


@dataclass(frozen=True)
class TurnView:
    """One turn prepared for the rules. Rules match in ``analyzed`` (normalised, homophones resolved); ``offsets``
    maps its characters back to ``turn.text`` as given, where every quote and char offset in the output points."""

    index: int
    turn: Turn
    analyzed: AnalyzedText
    offsets: tuple[int, ...]

    def original(self, start: int, end: int) -> tuple[int, int]:
        """Span in the normalised text -> span in the turn's own text."""
        original_end = self.offsets[end - 1] + 1 if end > start else self.offsets[start]
        return self.offsets[start], original_end

    def quote(self, start: int, end: int) -> tuple[int, int, str]:
        original_start, original_end = self.original(start, end)
        return original_start, original_end, self.turn.text[original_start:original_end]

    @property
    def speaker(self) -> str:
        return self.turn.speaker

    @property
    def canonical(self) -> str:
        return self.analyzed.canonical

    @property
    def pauses(self) -> frozenset[int]:
        """The characters of ``canonical`` a pause in the speech came right before."""
        return self.analyzed.pauses

    @cached_property
    def paused(self) -> tuple[str, tuple[int, ...]]:
        """``canonical`` with a space where the turn's text had one between Chinese characters (Whisper writes one
        where the speaker paused; normalising runs the phrases together), and for each of its characters the index
        in ``canonical`` it stands for (a pause stands for the character after it). Patterns that need the end of a
        phrase (「我厦门鹭信的 闪借那边委托」, 「不是 我是他拉长」) read this; the rest read ``canonical``."""
        text, where = [], []
        for index, char in enumerate(self.canonical):
            if index in self.analyzed.pauses:
                text.append(" ")
                where.append(index)
            text.append(char)
            where.append(index)
        return "".join(text), tuple(where)

    @property
    def readings(self) -> list[tuple[str, tuple[int, ...] | None]]:
        """The texts a pattern that needs a phrase's end tries, in order: ``canonical`` (no map), then ``paused``
        with its map to ``canonical`` when the turn had pauses."""
        paused, where = self.paused
        return [(self.canonical, None)] + ([(paused, where)] if len(paused) > len(self.canonical) else [])

    def in_canonical(self, start: int, end: int) -> tuple[int, int]:
        """A span of ``paused`` -> the same span of ``canonical`` (a pause at its end adds no character)."""
        where = self.paused[1]
        if end <= start:
            return where[start], where[start]
        ends_on_pause = end < len(where) and where[end - 1] == where[end]
        return where[start], where[end - 1] + (0 if ends_on_pause else 1)

    @cached_property
    def _located_words(self) -> list[tuple[int, int, object]]:
        return _locate_words(self.turn.text, self.turn.words)  # once per turn: several rules time their hits

    def times(self, char_start: int, char_end: int) -> tuple[float | None, float | None]:
        """Audio time of a span of ``turn.text``: from word timestamps when known, else interpolated in the turn."""
        turn = self.turn
        if turn.words:
            covering = [(s, e, w) for s, e, w in self._located_words if s < char_end and char_start < e]
            if covering:
                return covering[0][2].start_s, covering[-1][2].end_s
        if turn.start_s is None or turn.end_s is None or not turn.text:
            return turn.start_s, turn.end_s
        span = turn.end_s - turn.start_s
        return (round(turn.start_s + span * char_start / len(turn.text), 2),
                round(turn.start_s + span * char_end / len(turn.text), 2))


def _locate_words(text: str, words) -> list[tuple[int, int, object]]:
    """Character span of each word in the turn's text (words may have lost or gained punctuation)."""
    located, position = [], 0
    for word in words:
        piece = word.text.strip()
        if not piece:
            continue
        found = text.find(piece, position)
        if found < 0 or found - position > 3:
            continue
        located.append((found, found + len(piece), word))
        position = found + len(piece)
    return located


@dataclass(frozen=True)
class CallView:
    """The turns of one call, analysed once, plus which agent turn (run) each segment belongs to."""

    turns: tuple[TurnView, ...]

    @cached_property
    def agent_run_by_turn(self) -> dict[int, int]:
        """Each agent turn's index -> which run of consecutive agent turns it is in (0 for the first)."""
        runs: dict[int, int] = {}
        ordinal, previous = -1, None
        for view in self.turns:
            if view.speaker == "agent":
                if previous != "agent":
                    ordinal += 1
                runs[view.index] = ordinal
            previous = view.speaker
        return runs

    @property
    def agent_runs(self) -> int:
        """How many runs of agent turns the call has."""
        return max(self.agent_run_by_turn.values(), default=-1) + 1


def clause_bounds(scope: ScopeConfig, text: str, start: int, end: int) -> tuple[int, int]:
    """The clause around [start, end): from just after the previous clause break to just before the next one."""
    clause_start, clause_end = 0, len(text)
    for match in scope.clause_breaks.finditer(text):
        if match.end() <= start:
            clause_start = match.end()
        elif match.start() >= end:
            clause_end = match.start()
            break
    return clause_start, clause_end


SCOPE_BEFORE_CHARS = 14  # how far before a hit reported speech or a lawful notice may stand
SCOPE_AFTER_CHARS = 20  # how far after a hit a disavowal or lawful notice may stand
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")
_OPEN_QUOTES, _CLOSE_QUOTES = "「“‘『", "」”’』"


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around [start, end): from just after the previous sentence end to just before the next one."""
    sentence_start = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    return sentence_start, next((m.start() for m in _SENTENCE_END.finditer(text, end)), len(text))


def in_their_words(theirs: frozenset[tuple[int, int, int]], turn: int, at: int) -> bool:
    """Whether character ``at`` of turn ``turn`` lies in a sentence (turn, start, end in the canonical text) that the
    reader's second head reads as the other side's words."""
    return any(index == turn and start <= at < end for index, start, end in theirs)


def customers_voice(scope: ScopeConfig, text: str, start: int, end: int, category: str, speaker: str) -> str | None:
    """In a turn of unknown speaker, the words that say a hit at [start, end) is the customer's (「你们天天打电话」 before
    it, 「你们这些催债的」 in or after it), or None."""
    if speaker != "unknown":
        return None
    clause_start = clause_bounds(scope, text, start, end)[0]
    # the voice ends where the hit starts, or a few characters into it (the reader's words may begin with 你们)
    cues = [scope.at_collectors] + ([scope.customer_voice] if category not in scope.customer_voice_not_for else [])
    for voice_end in range(start, min(end, start + 4) + 1):
        voice = next((m for cue in cues if (m := cue.search(text, clause_start, voice_end))), None)
        if voice:
            return voice.group(0)
    voice = scope.at_collectors_after.search(text, start, sentence_bounds(text, start, end)[1] + 1)
    return voice.group(0) if voice and voice.start() <= end + SCOPE_AFTER_CHARS else None


def out_of_scope(scope: ScopeConfig, text: str, start: int, end: int, category: str,
                 speaker: str = "agent", pauses: frozenset[int] = frozenset()) -> str | None:
    """Why a hit at [start, end) is not the agent's own prohibited act (negated, disavowed, reported, quoted,
    a lawful notice, or in a turn of unknown speaker said in the customer's voice), or None. ``pauses``: the
    characters of ``text`` a pause in the speech came right before (``TurnView.pauses``)."""
    voice = customers_voice(scope, text, start, end, category, speaker)
    if voice:
        return f"the customer's voice 「{voice}」"
    clause_start, clause_end = clause_bounds(scope, text, start, end)
    before = text[clause_start:start]
    consequence = before
    markers = list(scope.conditional_markers.finditer(before))
    if markers:
        consequence = before[markers[-1].end():]
    consequence_start = start - len(consequence)
    # Only before the hit: threats carry 不 inside them (你跑不了, 弄不死你); a hit that negates itself
    # (「通讯录里的人我们一个都不会联系」) is caught by the disavowal check below.
    # a cue may need to see what it negates (「别」 before 转, not before 说), so each looks on into the hit, and back
    # past its window (「要不您去借」: 要 before 不)
    reach = len(consequence)
    negation = next((cue for window_chars, pattern in ((scope.negation_window_chars, scope.negation_cue), (
        scope.weak_negation_window_chars, scope.weak_negation_cue)) for cue in pattern.finditer(
        consequence + text[start:end], max(0, reach - window_chars)) if cue.start() < reach
        and not _a_not_a(consequence + text[start:end], cue.start())
        and not _phrase_ends_between(scope, text, pauses, consequence_start + cue.end(), start)), None)
    if negation:
        return f"negated by 「{negation.group(0)}」"
    if start >= 2 and _a_not_a(text, start - 1):  # 「看的是有没有犯罪记录」: whether there is, not that there is
        return f"asked whether 「{text[start - 2:start + 1]}」"
    frame = next((m for m in scope.negation_frame.finditer(text) if m.start() <= start
                  and end <= m.end()), None)
    if frame:
        return f"negated by the frame 「{frame.group(0)}」"
    # Bounded windows: ASR text often has no punctuation, and then a "sentence" is the whole turn; a reassurance
    # or lawful notice half a turn away must not cancel a threat.
    sentence_start, sentence_end = sentence_bounds(text, start, end)
    after_end = min(sentence_end, end + SCOPE_AFTER_CHARS) + 1
    disavowal = scope.disavowal.search(text, end, after_end) or scope.disavowal.search(text, start, end) or (
        scope.warning_after.search(text, end, after_end))
    if disavowal:
        return f"disavowed by 「{disavowal.group(0)}」"
    # a frame the speaker paused inside is two phrases (「我啥也没说 你让他今天把钱打了」: 没说, then 你); one before a list
    # reaches each of its items (「有人讲要把您身份证照片发到导游群、发抖音」)
    reported = next((m for m in scope.reported_speech.finditer(
        text, max(sentence_start, _list_start(text, start, sentence_start) - SCOPE_BEFORE_CHARS), end)
                     if not any(m.start() < at < m.end() for at in pauses)), None)
    if reported:
        return f"reported speech 「{reported.group(0)}」"
    opened = sum(text.count(q, sentence_start, start) for q in _OPEN_QUOTES)
    closed = sum(text.count(q, sentence_start, start) for q in _CLOSE_QUOTES)
    # a straight quote opens and closes alike: an odd count before the hit leaves one open
    if opened > closed or text.count('"', sentence_start, start) % 2:
        return "inside quotation marks"
    if category in scope.lawful_categories:
        lawful = scope.lawful_notice.search(text[max(clause_start, start - SCOPE_BEFORE_CHARS):
                                                 min(clause_end, end + SCOPE_AFTER_CHARS)])
        if lawful:
            return f"lawful notice 「{lawful.group(0)}」"
    if scope.lawful_visit and category in scope.lawful_visit_categories:
        # the terms of a visit follow it in clauses of their own (「…上门核实，会带工牌，到之前会短信通知」)
        visit = scope.lawful_visit.search(text, max(sentence_start, start - SCOPE_BEFORE_CHARS), after_end)
        if visit:
            return f"a visit announced as the rules ask 「{visit.group(0)}」"
    if category in scope.condition_categories:
        condition = scope.lawful_condition.search(text, sentence_start, start)
        if condition:
            return f"lawful notice, on condition 「{condition.group(0)}」"
    return None


def _list_start(text: str, start: int, floor: int) -> int:
    """Where the list whose item begins at ``start`` begins (items joined by 、), not before ``floor``."""
    while start > floor and text[start - 1] == "、":
        start -= 1
        while start > floor and text[start - 1] not in "，。！？；、,;!?":
            start -= 1
    return start


def _phrase_ends_between(scope: ScopeConfig, text: str, pauses: frozenset[int], cue_end: int,
                         hit_start: int) -> bool:
    """Whether the speaker paused after a negation's own words and before the hit: Whisper writes a pause where a
    phrase ended, and ASR text has no commas, so the negation stays in its phrase (「你唔使搞APP咁麻烦 你直接转去我微信」
    「五点前没有到账 后果自负」). A negation the pause comes right after negates the next phrase (「也不会 找你家里人」), and
    so does one whose phrase holds only a verb of believing or heeding (``negation.past_pause``: 「唔好信啊 啲人话…」)."""
    pause = next((at for at in sorted(pauses) if cue_end < at <= hit_start), None)
    return pause is not None and not scope.negation_past_pause.fullmatch(text, cue_end, pause)


def _a_not_a(text: str, at: int) -> bool:
    """Whether the 不/没 at ``at`` asks a question (能不能, 值不值, 有没有) rather than negating."""
    return text[at] in "不没" and 0 < at < len(text) - 1 and text[at - 1] == text[at + 1]


def excepted(rule: ConductRule, scope: ScopeConfig, text: str, start: int, end: int) -> re.Match | None:
    clause_start, clause_end = clause_bounds(scope, text, start, end)
    clause = text[clause_start:clause_end]
    return next((m for m in (pattern.search(clause) for pattern in rule.exceptions) if m), None)


def out_of_context(rule: ConductRule, text: str, start: int, end: int) -> bool:
    """True when the rule needs context (``context``) and none of it stands in the hit's sentence."""
    if not rule.context:
        return False
    sentence_start, sentence_end = sentence_bounds(text, start, end)
    return not any(pattern.search(text, sentence_start, sentence_end) for pattern in rule.context)


def make_finding(rule: ConductRule, view: TurnView, start: int, end: int, matched: str, kind: str,
                 why: str) -> Finding:
    """A finding with its evidence: quote from the turn's own text, audio times, homophone flag, basis."""
    pinyin = view.analyzed.via_homophone(start, end)
    heard_in = [h for h in view.analyzed.homophones if h.char_start < end and start < h.char_end]
    start, end, quote = view.quote(start, end)
    start_s, end_s = view.times(start, end)
    notes = []
    if pinyin:
        heard = "、".join(f"{h.heard}→{h.term}" for h in heard_in)
        notes.append(f"read through homophones ({heard})")
    if view.speaker == "unknown":
        notes.append("speaker not identified: check who said it")
    explanation = f"{rule.id} {rule.description}: {why}" + (f"; {'; '.join(notes)}" if notes else "")
    return Finding(
        rule_id=rule.id, category=rule.category, severity=rule.severity, turn=view.index, speaker=view.speaker,
        char_start=start, char_end=end, quote=quote, matched=matched, match_kind=kind,
        pinyin_match=pinyin, legal_basis=rule.basis, explanation=explanation, start_s=start_s, end_s=end_s,
        needs_review=pinyin or view.speaker == "unknown",
    )


def best_per_category(findings: list[Finding]) -> list[Finding]:
    """One finding per (turn, category): the longest quote, so a reviewer sees the fullest evidence once."""
    best: dict[tuple[int, str], Finding] = {}
    for finding in findings:
        key = (finding.turn, finding.category)
        current = best.get(key)
        if current is None or (finding.char_end - finding.char_start) > (current.char_end - current.char_start):
            best[key] = finding
    return sorted(best.values(), key=lambda f: (f.turn, f.char_start, f.category))


def apply_precedence(findings: list[Finding], turn_texts: list[str],
                     yields_to: dict[str, frozenset[str]]) -> list[Finding]:
    """Drop a generic category where a more specific one (``yields_to``) fired in the same sentence of the turn. What
    is told to the person on the line (``match_kind`` "context": a debt detail said to a third party) is an act of its
    own and never yields."""
    def same_sentence(a: Finding, b: Finding) -> bool:
        first, second = sorted((a, b), key=lambda f: f.char_start)
        return first.char_end >= second.char_start or not _SENTENCE_END.search(
            turn_texts[a.turn], first.char_end, second.char_start)

    return [f for f in findings if f.match_kind == "context" or not any(
        other.turn == f.turn and other.category in yields_to.get(f.category, ()) and same_sentence(f, other)
        for other in findings)]


__all__ = ["AGENT_SIDE", "CUSTOMER_SIDE", "CallView", "TurnView", "apply_precedence", "best_per_category",
           "clause_bounds", "excepted", "make_finding", "out_of_context", "out_of_scope"]
