"""Auditing one call: turns in, ``CallAudit`` out. Runs every rule family of a rule pack over the call, and the
learned reader beside them.

Build one ``Auditor`` per process (it loads the rule pack, the spaCy/jieba/pinyin engine and the reader, about a
second) and call it for each call; it holds no per-call state.
"""

from __future__ import annotations

from dataclasses import asdict, replace

from audit.models import CallAudit, Transcript, Turn
from audit.nlp import Analyzer
from audit.reader import LearnedReader, load_reader
from audit.rulepack import RulePack, ThirdPartyConfig, load_rule_pack
from audit.rules import CallView, TurnView, apply_precedence
from audit.rules.call_time import check_call_time
from audit.rules.conduct import ConductRules
from audit.rules.disclosures import check_disclosures
from audit.rules.learned import ReaderFindings
from audit.rules.signals import find_signals
from audit.rules.third_party import find_third_party
from audit.quality import CallQuality, measure_transcript
from audit.scorecard import Scorecard, load_scorecard, score_call
from audit.text import normalize_with_offsets, pauses


class Auditor:
    def __init__(self, pack: RulePack | None = None, profile: str = "cn",
                 scorecard: Scorecard | str = "default", reader: LearnedReader | None | bool = True):
        """``reader``: True for the shipped learned reader, a ``LearnedReader``, or None/False for the rules alone."""
        self.pack = pack or load_rule_pack(profile)
        self.scorecard = scorecard if isinstance(scorecard, Scorecard) else load_scorecard(scorecard)
        self.analyzer = Analyzer(self.pack.terms(), self.pack.vocabulary, self.pack.dialect_words)
        self.conduct = ConductRules(self.pack, self.analyzer)
        borrowed_categories = {rule.signal: rule.from_categories for rule in self.pack.signals if rule.from_categories}
        self.borrowed = {signal: ConductRules(self.pack, self.analyzer, categories)
                         for signal, categories in borrowed_categories.items()}
        self.reader = load_reader() if reader is True else reader or None
        self.learned = ReaderFindings(self.pack, self.reader) if self.reader else None

    def view(self, turns: tuple[Turn, ...]) -> CallView:
        views = []
        for index, turn in enumerate(turns):
            text, offsets = normalize_with_offsets(turn.text)
            views.append(TurnView(index, turn, self.analyzer.analyze(text, pauses(turn.text, offsets)), offsets))
        return CallView(tuple(views))

    def audit(self, call_id: str, turns: tuple[Turn, ...], started_at: str | None = None,
              debtor_tz: str | None = None, quality: CallQuality | None = None) -> CallAudit:
        """Audit a call given as turns (any text: Traditional, spaced, full-width is normalised for matching, and
        evidence is quoted from the text as given), then score it with the scorecard."""
        call = self.view(turns)
        conduct = self.conduct.find(call)
        theirs = frozenset()
        if self.learned:  # the reader's scores, once: they set rule hits aside and make the model's findings
            scored = self.learned.score(call)
            conduct = [f for f in conduct if not self.learned.reads_lawful(call, f, scored)]
            theirs = frozenset((view.index, start, end) for view, start, end, _, other in scored if other)
        line = find_third_party(self.pack, call, theirs)
        conduct = [f for f in conduct if not _told_guarantor(f, line.to_guarantor, self.pack.third_party)]
        texts, yields_to = [turn.text for turn in turns], self.pack.scope.yields_to
        # a rule's threat to tell that yields to publication covers no debt detail told to whoever is on the line
        conduct = apply_precedence(conduct, texts, yields_to)
        findings = apply_precedence(conduct + [f for f in line.findings if not _covered(f, conduct)], texts, yields_to)
        if self.learned:  # a model hit adds to the rules, never replaces one
            model = [f for f in self.learned.find(call, scored) if not _covered(f, findings)
                     and not _named(f, findings, yields_to)
                     and not _told_guarantor(f, line.to_guarantor, self.pack.third_party)
                     and not _asks_debtor(f, line.to_debtor, self.pack.third_party)]
            # a near-certain reader names its own act: no rule's category outranks it (see _named)
            sure = [f for f in model if f.score >= SECOND_NAME_SCORE]
            findings += sure + [f for f in apply_precedence(findings + model, texts, yields_to)
                                if f.match_kind == "model" and f not in sure]
        findings.sort(key=lambda f: (f.turn, f.char_start))
        call_time = check_call_time(self.pack.call_time, started_at, debtor_tz)
        audit = CallAudit(
            call_id=call_id, rule_pack_version=self.pack.version, profile=self.pack.profile,
            findings=tuple(findings), disclosures=tuple(check_disclosures(
                self.pack, call, line.third_party_answered and not line.debtor_reached,
                tuple((f.turn, f.char_start, f.char_end) for f in findings if f.category == "unofficial_channel"))),
            signals=tuple(find_signals(self.pack, call, self.borrowed, theirs if self.learned else None)),
            call_time_violation=call_time["violation"],
            # critical whoever may have said it: on a turn of unknown speaker it awaits a person (verdict review),
            # as a finding of the reader alone does
            call_time=call_time, critical=any(f.severity == "critical" for f in findings) or call_time["violation"],
            score=0.0, verdict="review", third_party_answered=line.third_party_answered,
            reader_version=self.reader.version if self.reader else "")
        result = score_call(self.scorecard, audit, quality)
        return replace(audit, score=result.score, verdict=result.verdict, review_reasons=result.review_reasons,
                       scorecard=result.scorecard, scorecard_version=result.scorecard_version,
                       deductions=tuple(asdict(d) for d in result.deductions),
                       quality=asdict(quality) if quality else None)

    def audit_transcript(self, transcript: Transcript) -> CallAudit:
        metadata = transcript.metadata
        return self.audit(transcript.call_id, turns_from_transcript(transcript),
                          metadata.started_at if metadata else None, metadata.debtor_tz if metadata else None,
                          measure_transcript(transcript))


def _asks_debtor(finding, to_debtor: frozenset[int], config: ThirdPartyConfig) -> bool:
    """The reader's demand on a third party, said to the debtor verified on the line and naming nobody else who
    should pay: the debtor is asked to pay their own debt."""
    return (finding.category == config.collection_rule.category and finding.turn in to_debtor
            and not any(p.search(finding.quote) for p in config.someone_else))


def _told_guarantor(finding, to_guarantor: frozenset[int], config: ThirdPartyConfig) -> bool:
    """Said to a guarantor who signed, and lawful there (民法典第六百八十八条): a demand to pay, whoever read it as a
    demand on a third party, and the liability they signed for, whoever read it as a false legal claim."""
    if finding.turn not in to_guarantor:
        return False
    return finding.category == "third_party_collection" or (
        finding.category == "false_legal_threat" and bool(config.guarantor_liability.search(finding.quote)))


def _covered(finding, others) -> bool:
    return any(o.turn == finding.turn and o.category == finding.category for o in others)


# On l22–l24, with a reader never trained on them, reader findings at or above this score that a rule's other name
# would have hidden were right 3 times in 4, below it 1 in 4.
SECOND_NAME_SCORE = 0.95


def _named(model_finding, rule_findings, yields_to: dict[str, frozenset[str]]) -> bool:
    """A rule already named an act in the sentence the reader scored: the reader's other name for the same words is
    most often a neighbouring category (insult for a legal threat), not a second act. Unless the rule's name is the
    generic one that yields to the reader's (intimidation to violence_threat: 「晚上走夜路小心点」), or the reader is
    all but certain (「老子让系统一天给你打两百个」 is harassment beside the rule's swearing): then the reader names
    an act the rule did not, and a person decides beside the rule's finding."""
    if model_finding.score >= SECOND_NAME_SCORE:
        return False
    return any(o.turn == model_finding.turn and o.char_start < model_finding.char_end
               and model_finding.char_start < o.char_end
               and model_finding.category not in yields_to.get(o.category, ()) for o in rule_findings)


def turns_from_transcript(transcript: Transcript) -> tuple[Turn, ...]:
    """Segments become turns one to one, so findings point at segments (and so at audio times)."""
    return tuple(Turn(segment.speaker, segment.text, segment.start_s, segment.end_s, segment.avg_logprob,
                      segment.words) for segment in transcript.segments)
