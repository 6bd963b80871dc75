"""Speaker embeddings: a 256-number summary of a voice, close (cosine) for the same speaker, apart for different ones.

The model is Resemblyzer's GE2E speaker encoder (40-channel mel power frames of 16 kHz audio, 25 ms windows every
10 ms -> a 3-layer LSTM of 256 -> linear 256 -> ReLU -> L2 norm), trained on thousands of English, Chinese and other
speakers. Its weights ship in the package (``voice_model/``: Apache-2.0, provenance in PROVENANCE.json, converted
once by ``scripts/convert_voice_encoder.py``); inference is this numpy port, so neither PyTorch nor a download is
needed. Telephone audio (8 kHz) is read at 16 kHz like everything else (``audit.audio``): the mel bands above 4 kHz
are then empty for both voices alike, and the voices still separate (measured in docs/transcription.md).
"""

from __future__ import annotations

import functools
from importlib import resources

import numpy as np
from threadpoolctl import threadpool_limits

__all__ = ["SAMPLE_RATE_HZ", "FRAME_S", "embed_windows", "mel_frames"]

SAMPLE_RATE_HZ = 16000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
FRAME_S = HOP / SAMPLE_RATE_HZ
N_MELS = 40
# Every clip is brought to this level before the mel frames: the model reads mel power, not its log, so without it
# the far end of a call (often quieter) would look like another voice. Training raised quiet audio to the same level.
TARGET_DBFS = -30.0


@functools.cache
def _mel_filters() -> np.ndarray:
    """(N_MELS, N_FFT//2+1) triangular filters on the Slaney mel scale, area-normalised (librosa's default)."""
    def hz_to_mel(hz):
        hz = np.asarray(hz, dtype=np.float64)
        mel = hz / (200.0 / 3)
        log_part = hz >= 1000.0
        return np.where(log_part, 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0), mel)

    def mel_to_hz(mel):
        mel = np.asarray(mel, dtype=np.float64)
        return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)), mel * (200.0 / 3))

    fft_hz = np.linspace(0, SAMPLE_RATE_HZ / 2, N_FFT // 2 + 1)
    edges_hz = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(SAMPLE_RATE_HZ / 2), N_MELS + 2))
    widths = np.diff(edges_hz)
    ramps = edges_hz[:, None] - fft_hz[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    filters = np.maximum(0.0, np.minimum(rising, falling))
    return (filters * (2.0 / (edges_hz[2:] - edges_hz[:-2]))[:, None]).astype(np.float32)


def mel_frames(signal: np.ndarray) -> np.ndarray:
    """(frames, 40) mel power spectrogram of a 16 kHz signal, centred frames as the model was trained on."""
    signal = np.asarray(signal, dtype=np.float32)
    padded = np.pad(signal, N_FFT // 2)
    n = 1 + (len(padded) - N_FFT) // HOP if len(padded) >= N_FFT else 0
    if n == 0:
        return np.zeros((0, N_MELS), dtype=np.float32)
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)  # periodic Hann
    frames = padded[np.arange(n)[:, None] * HOP + np.arange(N_FFT)] * window
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    return (power @ _mel_filters().T).astype(np.float32)


@functools.cache
def _weights() -> dict[str, np.ndarray]:
    with resources.files("audit").joinpath("voice_model/encoder.npz").open("rb") as handle, np.load(handle) as npz:
        return {name: npz[name].astype(np.float32) for name in npz.files}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))  # numpy's float32 exp is ~5x faster than its tanh; exp's overflow gives 0, right


def _encode(mels: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """(batch, frames, 40) padded pieces -> (batch, 256) L2-normalised embeddings, each from the LSTM state at its
    own last frame (padding after a piece never reaches its state)."""
    # 480 small matrix products in a row: BLAS threads mostly wait on each other (12x slower on a busy 2-core machine)
    with threadpool_limits(limits=1, user_api="blas"), np.errstate(over="ignore"):
        return _encode_one_thread(mels, lengths)


_GATE_SCALE = np.concatenate([np.ones(512), np.full(256, 2.0), np.ones(256)]).astype(np.float32)


def _encode_one_thread(mels: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    w = _weights()
    batch, steps, _ = mels.shape
    x = mels
    for layer in range(3):
        w_ih, w_hh = w[f"lstm_weight_ih_l{layer}"], w[f"lstm_weight_hh_l{layer}"]
        bias = w[f"lstm_bias_ih_l{layer}"] + w[f"lstm_bias_hh_l{layer}"]
        gates_in = x @ w_ih.T + bias  # all steps at once; only the recurrent part is sequential
        h = np.zeros((batch, 256), dtype=np.float32)
        c = np.zeros((batch, 256), dtype=np.float32)
        out = np.empty((batch, steps, 256), dtype=np.float32)
        w_hh_t = np.ascontiguousarray(w_hh.T)
        for t in range(steps):
            # gates i, f, g, o (PyTorch's order); tanh(x) = 2 sigmoid(2x) - 1, so one exp covers all four
            gates = _sigmoid((gates_in[:, t] + h @ w_hh_t) * _GATE_SCALE)
            c = gates[:, 256:512] * c + gates[:, :256] * (2.0 * gates[:, 512:768] - 1.0)
            h = gates[:, 768:] * (2.0 * _sigmoid(2.0 * c) - 1.0)
            out[:, t] = h
        x = out
    last = x[np.arange(batch), lengths - 1]
    embedded = np.maximum(last @ w["linear_weight"].T + w["linear_bias"], 0.0)
    return embedded / np.maximum(np.linalg.norm(embedded, axis=1, keepdims=True), 1e-12)


def _normalised(signal: np.ndarray) -> np.ndarray:
    rms = float(np.sqrt(np.mean(np.square(signal, dtype=np.float64)))) if len(signal) else 0.0
    if rms <= 1e-6:
        return signal
    return signal * np.float32(10 ** ((TARGET_DBFS - 20 * np.log10(rms)) / 20))


def embed_windows(clips: list[np.ndarray], window_s: float = 1.2, hop_s: float = 0.4,
                  min_s: float = 0.5) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each clip of 16 kHz audio, ``(starts_s, embeddings)``: one embedding per window of ``window_s`` every
    ``hop_s`` (start times relative to the clip), the last window ending at the clip's end. A clip shorter than a
    window is one window; one under ``min_s`` has none (too little voice to say whose)."""
    window, hop, shortest = (int(round(v / FRAME_S)) for v in (window_s, hop_s, min_s))
    pieces, owner, starts = [], [], []
    for index, clip in enumerate(clips):
        mel = mel_frames(_normalised(np.asarray(clip, dtype=np.float32)))
        if len(mel) < shortest:
            continue
        offsets = list(range(0, max(1, len(mel) - window + 1), hop))
        if offsets[-1] + window < len(mel):
            offsets.append(len(mel) - window)
        for offset in offsets:
            pieces.append(mel[offset:offset + window])
            owner.append(index)
            starts.append(offset * FRAME_S)
    embeddings = np.zeros((len(pieces), 256), dtype=np.float32)
    lengths = np.array([len(piece) for piece in pieces], dtype=int)
    order = np.argsort(lengths, kind="stable")  # like lengths together: less padding to run the LSTM over
    for chunk in np.array_split(order, max(1, len(order) // 64)):
        if not len(chunk):
            continue
        batch = np.zeros((len(chunk), lengths[chunk].max(), N_MELS), dtype=np.float32)
        for row, i in enumerate(chunk):
            batch[row, :lengths[i]] = pieces[i]
        embeddings[chunk] = _encode(batch, lengths[chunk])
    owner_arr, starts_arr = np.array(owner, dtype=int), np.array(starts)
    return [(starts_arr[owner_arr == i], embeddings[owner_arr == i]) for i in range(len(clips))]
