"""The call's player, kept in view: the recording (Streamlit's own audio element, with its pause button) and the
call's timeline under it, in a bar that stays at the top of the page while the reviewer scrolls through the dialogue
and the findings. The timeline has one band per speaker and a marker per finding and customer signal
(``audit.reviewapp.timeline``); clicking a marker, a turn on a band or a turn's time in the dialogue plays from there.

Streamlit cannot follow the audio's time on its own, so a small script (static, in this file; nothing is fetched)
does it in the browser: it moves the timeline's cursor and marks the turn being played (``.turn.playing`` in the
dialogue, whose turns carry ``id="turn-<n>"``). It listens on the document, once per browser tab, so it keeps working
whichever audio element a rerun draws."""

from __future__ import annotations

import html
import json
from pathlib import Path

import streamlit as st

from app_pages.i18n import label, t
from audit.reviewapp.call_view import audio_mime, clock
from audit.reviewapp.timeline import Timeline

STYLE = """
<style>
/* the bar's own wrapper sticks: a sticky element stays only within its parent, and Streamlit wraps each block */
[data-testid="stLayoutWrapper"]:has(> .st-key-call_player) { position: sticky; top: 3.75rem; z-index: 990; }
.st-key-call_player { background: var(--background-color, #fff); padding: 0.35rem 0 0.45rem;
  border-bottom: 1px solid rgba(49, 51, 63, 0.15); }
.turn.playing { outline: 3px solid #f08c00; outline-offset: 1px; }
.turn .who[data-seek] { cursor: pointer; text-decoration: underline dotted; }
</style>
"""

TIMELINE_CSS = """
<style>
.tl { position: relative; font-size: 0.75rem; user-select: none; }
.tl-row { display: flex; align-items: center; height: 1.15rem; margin: 0.1rem 0; }
.tl-who { width: 3.2rem; flex: none; opacity: 0.75; white-space: nowrap; overflow: hidden; }
.tl-band { position: relative; flex: 1; height: 0.8rem; background: rgba(49, 51, 63, 0.06); border-radius: 0.2rem; }
.tl-span { position: absolute; top: 0; height: 100%; border-radius: 0.15rem; opacity: 0.75; cursor: pointer; }
.tl-span.playing { opacity: 1; box-shadow: 0 0 0 2px #f08c00; }
.tl-marks { height: 1.1rem; background: none; }
.tl-mark { position: absolute; top: 0; width: 0.9rem; height: 0.9rem; margin-left: -0.45rem; padding: 0;
  border: 2px solid #fff; border-radius: 50%; cursor: pointer; font-size: 0; }
.tl-mark.signal { border-radius: 0.15rem; transform: rotate(45deg); width: 0.75rem; height: 0.75rem; }
.tl-mark:focus-visible { outline: 2px solid #1f6fb2; }
.tl-cursor { position: absolute; top: 0; bottom: 0; width: 2px; background: #f08c00; pointer-events: none;
  left: 0; display: none; }
.tl-legend { opacity: 0.7; margin-top: 0.1rem; }
</style>
"""

# Bound once per browser tab (the page's document outlives reruns and page switches): media events do not bubble,
# so the listeners capture them on the document, whichever audio element is there now.
SCRIPT = """
<script>
(function () {
  if (window.__auditPlayer) { window.__auditPlayer.follow(); return; }
  function player() { return document.querySelector('.st-key-call_player audio'); }
  function follow() {
    const audio = player(), line = document.querySelector('.tl');
    if (!audio || !line) return;
    const now = audio.currentTime, length = parseFloat(line.dataset.duration) || 0;
    const cursor = line.querySelector('.tl-cursor'), band = line.querySelector('.tl-band');
    if (cursor && band && length > 0) {
      cursor.style.display = 'block';
      cursor.style.left = (band.offsetLeft + band.offsetWidth * Math.min(1, now / length)) + 'px';
    }
    let playing = null;
    for (const [turn, start, end] of JSON.parse(line.dataset.turns || '[]')) {
      if (start <= now && now < end) { playing = turn; }
    }
    document.querySelectorAll('.turn.playing, .tl-span.playing').forEach(e => e.classList.remove('playing'));
    if (playing !== null) {
      const bubble = document.getElementById('turn-' + playing);
      if (bubble) bubble.classList.add('playing');
      document.querySelectorAll('.tl-span[data-turn="' + playing + '"]').forEach(e => e.classList.add('playing'));
    }
  }
  function onMedia(event) {
    if (event.target && event.target.closest && event.target.closest('.st-key-call_player')) follow();
  }
  ['timeupdate', 'seeked', 'loadedmetadata'].forEach(name => document.addEventListener(name, onMedia, true));
  document.addEventListener('click', function (event) {
    const target = event.target.closest ? event.target.closest('[data-seek]') : null;
    const audio = player();
    if (!target || !audio) return;
    event.preventDefault();
    audio.currentTime = parseFloat(target.dataset.seek);
    const started = audio.play();
    if (started && started.catch) started.catch(function () {});
    follow();
  });
  window.__auditPlayer = { follow: follow };
  follow();
})();
</script>
"""


def timeline_html(timeline: Timeline, seek_s) -> str:
    """The timeline as HTML: bands of turns per speaker, then the markers; ``seek_s`` turns a moment into where the
    player starts (a moment before the words)."""
    bands = []
    for speaker in timeline.speakers:
        spans = "".join(
            f'<div class="tl-span" data-turn="{s.turn}" data-seek="{seek_s(s.start_s)}" '
            f'style="left:{s.left_pct}%;width:{s.width_pct}%;background:{s.colour}" '
            f'title="{html.escape(label("speaker", speaker))} {clock(s.start_s)}"></div>'
            for s in timeline.spans if s.speaker == speaker)
        bands.append(f'<div class="tl-row"><span class="tl-who">{html.escape(label("speaker", speaker))}</span>'
                     f'<div class="tl-band">{spans}</div></div>')
    marks = []
    for m in timeline.markers:
        name = label("category" if m.kind == "finding" else "signal", m.code)
        what = (f"[{m.number}] {name} · {label('severity', m.severity)}" if m.kind == "finding" else name)
        if m.dismissed:
            what += f" · {label('review_status', 'dismissed')}"
        title = html.escape(f"{what} · {clock(m.at_s)}", quote=True)
        marks.append(f'<button type="button" class="tl-mark {m.kind}" data-seek="{seek_s(m.at_s)}" '
                     f'style="left:{m.left_pct}%;background:{m.colour}" title="{title}" aria-label="{title}">'
                     f'{title}</button>')
    bands.append(f'<div class="tl-row"><span class="tl-who">{html.escape(t("player.marks"))}</span>'
                 f'<div class="tl-band tl-marks">{"".join(marks)}</div></div>')
    turns = html.escape(json.dumps(timeline.turn_times()), quote=True)
    return (f'{TIMELINE_CSS}<div class="tl" data-duration="{timeline.duration_s}" data-turns="{turns}">'
            f'{"".join(bands)}<div class="tl-cursor"></div>'
            f'<div class="tl-legend">{html.escape(t("player.legend"))}</div></div>')


def show(audio_path: Path | None, start: int | None, timeline: Timeline, seek_s) -> None:
    """The sticky bar: the recording (from ``start`` seconds, playing when a finding's 「播放」 asked for it) and the
    timeline; without a recording, the timeline alone (nothing to seek)."""
    st.markdown(STYLE, unsafe_allow_html=True)
    with st.container(key="call_player"):
        if audio_path is not None:
            st.audio(str(audio_path), format=audio_mime(audio_path), start_time=start or 0,
                     autoplay=start is not None)
        if timeline.spans or timeline.markers:
            st.html(timeline_html(timeline, seek_s) + SCRIPT, unsafe_allow_javascript=True)
