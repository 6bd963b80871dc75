"""Tables for an 80-column terminal: short headers that wrap on word boundaries (never 「age…」), in Chinese when the
locale is Chinese (``LC_ALL``, ``LC_MESSAGES`` or ``LANG`` starting with ``zh``), and cells that fold rather than
vanish. Used by ``audit agents`` and the run summaries of ``audit transcribe`` / ``audit run``."""

from __future__ import annotations

import os

from rich import box
from rich.cells import cell_len
from rich.table import Table

# column key -> (English header, Chinese header); a space or a line break is where a header may wrap
HEADERS: dict[str, tuple[str, str]] = {
    "rank": ("#", "名次"),
    "agent_id": ("agent", "坐席"),
    "agent_name": ("name", "姓名"),
    "agents": ("agents", "坐席数"),
    "team": ("team", "团队"),
    "calls": ("calls", "通话"),
    "mean_score": ("mean score", "平均分"),
    "median_score": ("median score", "中位分"),
    "pass_rate": ("pass rate", "通过率"),
    "critical_per_100": ("crit. /100", "严重 /百通"),
    "complaints_per_100": ("compl. /100", "投诉 /百通"),
    "vulnerability_per_100": ("vuln. /100", "弱势 /百通"),
    "week_start": ("week of", "周一日期"),
    "call": ("call", "通话"),
    "status": ("status", "状态"),
    "audio_s": ("audio s", "时长秒"),
    "segments": ("segments", "分段"),
    "asr_s": ("ASR s", "识别秒"),
    "note": ("note", "备注"),
    "verdict": ("verdict", "结论"),
    "score": ("score", "得分"),
    "critical": ("critical", "严重"),
    "findings": ("findings", "违规类别"),
    "missing_disclosures": ("missing disclosures", "缺失告知"),
    "signals": ("signals", "客户信号"),
}


def chinese_locale(environ: dict[str, str] | None = None) -> bool:
    """Whether the user's locale is Chinese: the first of LC_ALL, LC_MESSAGES, LANG that is set decides."""
    environ = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return value.lower().startswith("zh")
    return False


def header(key: str, chinese: bool | None = None) -> str:
    english, zh = HEADERS.get(key, (key, key))
    return zh if (chinese_locale() if chinese is None else chinese) else english


def fitted_table(title: str, keys: list[str], chinese: bool | None = None) -> Table:
    """A table whose headers wrap between words and whose columns never get narrower than their longest header
    word; cells fold. No vertical rules, so 10 numeric columns fit 80 characters."""
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1), title_justify="left")
    for key in keys:
        text = header(key, chinese)
        table.add_column(text, min_width=max(cell_len(word) for word in text.split()), overflow="fold",
                         justify="left")
    return table
