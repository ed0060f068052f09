"""Inference with a trained rhythm VAE: what the live engine holds. Decoding and encoding only (no training
code, no autograd): float32, ``torch.inference_mode``, and it runs with ``torch.set_num_threads(1)``.

Coordinates are **pad coordinates** ``(x, y)`` in ``[0, 1]²`` unless a name says latent; each model maps them
to its latent with its own :class:`~rvae_server.model.planes.PadMapping` (``meta.json`` ``space.pad``; models
without one use the fixed :func:`rvae_server.model.planes.pad_to_latent`). Decoding gives
:class:`~rvae_server.model.planes.DecodedPlanes` ``(N, 3, 96, 9)`` float32: onset probability, velocity in (0, 1),
microtiming in (-1, 1) half-ticks (positive = late); :func:`~rvae_server.model.planes.threshold_planes` makes a bar
of one point's planes. Those torch-free pieces live in :mod:`rvae_server.model.planes`.

Calibrated threshold
--------------------
A model's ``meta.json`` may hold ``space.threshold``: ``{"default": t, "offsets": {"kick": d, ...}}``, the raw
onset-probability threshold ``t + d_i`` at which each instrument decodes, at the training bars' own points, as
many onsets as the training bars hold (:mod:`rvae_server.model.calibrate`). The loaded model folds it into the onset
head's bias, so the probabilities it returns are **calibrated**: ``p' = sigmoid(logit(p) - logit(t + d_i))``.
Threshold 0.5 on them is the model's own default threshold; lower plays denser, higher sparser. Every surface
(``serve``, ``render``, the web page, the Max patch) starts at 0.5, so each uses the model's default unless the
performer sets another. ``space.start`` is the pad point to start playing on (a training bar's location).
``space.spread`` (:mod:`rvae_server.model.spread`) is folded into the velocity and microtiming heads the same way.

One onset where a drummer plays one
-----------------------------------
Every decoded onset plane (:meth:`LoadedModel.decode_latent`, :meth:`~LoadedModel.decode_ticks`, and so the
engine, ``render``, ``rvae eval``, the page's grid) holds only each instrument's peaks along the ticks
(:func:`rvae_server.core.peaks.peak_probs`: no instrument on two consecutive ticks, whatever the threshold), and
of those at most the model's ``space.cap`` a bar (:func:`~rvae_server.core.peaks.cap_probs`: no machine gun).
``LoadedModel(..., peaks=False)`` gives the raw planes (how models played before issue 21; the calibration of
recipe v2 and the benchmarks use it).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray

from rvae_server.core.bar import INSTRUMENT_NAMES, N_INSTRUMENTS, TICKS, Bar
from rvae_server.core.peaks import cap_probs, peak_probs
from rvae_server.model.modeldirs import resolve_model
from rvae_server.model.modelfile import ModelData, load_model
from rvae_server.model.network import ModelConfig, RhythmVAE, flatten_bars, hidden_layer_names
from rvae_server.model.planes import DecodedPlanes, PadMapping, grid_points, threshold_planes
from rvae_server.model.spread import fold_spread, read_cap


class _PiecewiseDecoder:
    """Exact single-point decoding in ~0.1 ms instead of a 2592×512 matrix-vector product (~0.3 ms).

    The decoder's logits are piecewise linear in z: with ``s_k`` the slope of hidden unit k (1, or the leaky
    slope where its pre-activation is negative), ``out(z) = A_s z + c_s`` where ``A_s = W2 diag(s) W1`` and
    ``c_s = W2 diag(s) b1 + b2``. Between calls only the few units whose sign flipped change ``A`` and ``c``, so a
    move of the XY point costs a handful of rank-1 updates. A jump (many flips) is decoded directly with one
    matrix-vector product, and ``A``, ``c`` move to the new point when the next call stays near it. ``A`` and ``c``
    are kept in float64 and rebuilt from scratch every :attr:`REBUILD_EVERY` calls, so rounding drift stays
    below 1e-6.
    """

    REBUILD_EVERY = 512
    MAX_FLIPS = 48

    def __init__(self, w1: torch.Tensor, b1: torch.Tensor, w2: torch.Tensor, b2: torch.Tensor, slope: float) -> None:
        self.w1t = w1  # (hidden, latent) float32 tensors, as the batch path uses them
        self.b1t = b1
        self.b2 = b2.numpy().astype(np.float64)
        self.w1 = w1.numpy().astype(np.float64)
        self.b1 = b1.numpy().astype(np.float64)
        self.rows_torch = w2.t().contiguous()  # (hidden, outputs) float32: row k = unit k's output column
        self.rows = self.rows_torch.numpy()
        self.slope = slope
        self.lock = threading.Lock()
        self.s = np.ones(len(self.b1))  # the slopes A and c are valid for
        self.last = self.s  # the slopes of the previous call
        self.a = np.zeros((self.rows.shape[1], self.w1.shape[1]))
        self.c = np.zeros(self.rows.shape[1])
        self.calls = self.REBUILD_EVERY  # forces a rebuild on first use

    def _rebuild(self, s: NDArray[np.float64]) -> None:
        lhs = np.concatenate((s[:, None] * self.w1, (s * self.b1)[:, None]), axis=1).T.astype(np.float32)
        with torch.inference_mode():
            ac = torch.mm(torch.from_numpy(np.ascontiguousarray(lhs)), self.rows_torch).numpy().astype(np.float64)
        self.a = np.ascontiguousarray(ac[:-1].T)
        self.c = ac[-1] + self.b2
        self.s = s
        self.calls = 0

    def __call__(self, z: NDArray[np.float64]) -> NDArray[np.float32]:
        with self.lock:
            pre = self.w1 @ z + self.b1
            s = np.where(pre >= 0.0, 1.0, self.slope)
            flipped = np.flatnonzero(s != self.s)
            last, self.last = self.last, s
            self.calls += 1
            if self.calls >= self.REBUILD_EVERY:
                self._rebuild(s)
            elif len(flipped) > self.MAX_FLIPS:
                if np.count_nonzero(s != last) > self.MAX_FLIPS:
                    # a jump: one direct matrix-vector product; A and c stay valid for their old point
                    h = (s * pre).astype(np.float32)
                    with torch.inference_mode():
                        out = torch.mm(torch.from_numpy(h[None, :]), self.rows_torch).numpy()[0]
                    return out + self.b2.astype(np.float32)
                self._rebuild(s)  # settled near the point jumped to: move A and c there
            elif len(flipped):
                d = s[flipped] - self.s[flipped]
                rows = self.rows[flipped].T.astype(np.float64)  # (outputs, f)
                self.a += rows @ (d[:, None] * self.w1[flipped])
                self.c += rows @ (d * self.b1[flipped])
                self.s = s
            return (self.a @ z + self.c).astype(np.float32)


class _DirectDecoder:
    """Single-point decoding of a decoder with several hidden layers: one matrix-vector product per layer in
    numpy (~0.1 ms for two 512-unit layers). :class:`_PiecewiseDecoder`'s incremental updates assume one hidden
    layer; with more, a unit flipping in the first layer changes every output slope, so they do not pay."""

    def __init__(
        self, layers: list[tuple[torch.Tensor, torch.Tensor]], w2: torch.Tensor, b2: torch.Tensor, slope: float
    ):
        self.layers = [(w.numpy(), b.numpy()) for w, b in layers]
        self.w2 = w2.numpy()
        self.b2 = b2.numpy()
        self.slope = np.float32(slope)

    def __call__(self, z: NDArray[np.float64]) -> NDArray[np.float32]:
        h = z.astype(np.float32)
        for w, b in self.layers:
            pre = w @ h + b
            h = np.where(pre >= 0.0, pre, pre * self.slope)
        return self.w2 @ h + self.b2


def _threshold_shift(meta: dict[str, Any], config: ModelConfig) -> NDArray[np.float32] | None:
    """The onset-logit shift ``(864,)`` that calibrates a model's probabilities (see the module docstring), or
    ``None`` when its metadata holds no (valid) calibrated threshold."""
    info = (meta.get("space") or {}).get("threshold") if isinstance(meta.get("space"), dict) else None
    if not isinstance(info, dict) or config.instruments != len(INSTRUMENT_NAMES):
        return None
    default = info.get("default")
    offsets = info.get("offsets") or {}
    if not isinstance(default, int | float) or not isinstance(offsets, dict) or not 0.0 < default < 1.0:
        return None
    per = np.array([float(offsets.get(n, 0.0)) if isinstance(offsets.get(n, 0.0), int | float) else 0.0
                    for n in INSTRUMENT_NAMES])  # fmt: skip
    t = np.clip(default + per, 0.01, 0.99)
    shift = np.log(t / (1.0 - t))  # (9,)
    return np.tile(shift, config.ticks).astype(np.float32)  # cell = tick * 9 + instrument


def _space(meta: dict[str, Any]) -> dict[str, Any]:
    space = meta.get("space")
    return space if isinstance(space, dict) else {}


class LoadedModel:
    """A model ready to play. Build with :meth:`load` (from a name or folder) or :meth:`from_module`.

    ``mapping`` is its pad ↔ latent mapping, ``peaks`` whether decoded onsets are the played peaks (see the
    module docstring), ``cap`` its ``space.cap`` (``None``: no cap), ``start`` the pad point to start on (``None``
    when the metadata names none), ``default_threshold`` the raw threshold that calibrated 0.5 stands for
    (``None``: uncalibrated), ``evaluation`` the figures of :mod:`rvae_server.model.evaluate` stored at training
    (``None`` for older models)."""

    def __init__(
        self, model: RhythmVAE, meta: dict[str, Any], name: str, path: Path | None = None, *, peaks: bool = True
    ) -> None:
        self.name = name
        self.peaks = peaks  # decoded onset planes hold only the played peaks (see _played)
        self.meta = meta
        self.path = path
        self.config: ModelConfig = model.config
        with torch.no_grad():
            sd = {k: v.detach().to(torch.float32).clone().contiguous() for k, v in model.state_dict().items()}
        self._slope = float(self.config.leaky_slope)
        self._enc_w = sd["encoder.hidden.weight"]
        self._enc_b = sd["encoder.hidden.bias"]
        self._mean_w = sd["encoder.mean.weight"]
        self._mean_b = sd["encoder.mean.bias"]
        self._dec = [(sd[f"decoder.{n}.weight"], sd[f"decoder.{n}.bias"]) for n in hidden_layer_names(self.config)]
        self._dec_w, self._dec_b = self._dec[0]
        # the three heads as one (3*864, hidden) matrix: one matmul per decode
        heads = ("onsets", "velocities", "microtiming")
        self._out_w = torch.cat([sd[f"decoder.{h}.weight"] for h in heads]).contiguous()
        self._out_b = torch.cat([sd[f"decoder.{h}.bias"] for h in heads]).contiguous()
        self._cells = self.config.cells
        space = _space(meta)
        shift = _threshold_shift(meta, self.config)
        if shift is not None:
            self._out_b[: self._cells] -= torch.from_numpy(shift)
        fold_spread(meta, self._out_w.numpy(), self._out_b.numpy(), self._cells)  # space.spread (model.spread)
        self.cap = read_cap(meta)  # space.cap: at most so many hits a bar (model.calibrate), None: no cap
        info = space.get("threshold")
        self.default_threshold: float | None = (
            float(info["default"]) if shift is not None and isinstance(info, dict) else None
        )
        try:
            self.mapping = PadMapping.from_json(space["pad"]) if "pad" in space else PadMapping()
        except ValueError:
            self.mapping = PadMapping()
        start = space.get("start")
        self.start: tuple[float, float] | None = None
        if isinstance(start, list) and len(start) == 2 and all(isinstance(v, int | float) for v in start):
            x, y = float(start[0]), float(start[1])
            self.start = (x, y) if 0.0 <= x <= 1.0 and 0.0 <= y <= 1.0 else None
        evaluation = meta.get("evaluation")
        self.evaluation: dict[str, Any] | None = evaluation if isinstance(evaluation, dict) else None
        self._single: _PiecewiseDecoder | _DirectDecoder
        if len(self._dec) == 1:
            self._single = _PiecewiseDecoder(self._dec_w, self._dec_b, self._out_w, self._out_b, self._slope)
        else:
            self._single = _DirectDecoder(self._dec, self._out_w, self._out_b, self._slope)
        self._per_tick: tuple[torch.Tensor, torch.Tensor] | None = None  # decode_ticks' weights, built on first use

    def _played(self, planes: NDArray[np.float32]) -> NDArray[np.float32]:
        """Decoded planes ``(N, 3, 96, 9)`` with the onset plane as played, in place (:meth:`_played_probs`)."""
        planes[:, 0] = self._played_probs(planes[:, 0])
        return planes

    def _played_probs(self, probs: NDArray[np.float32]) -> NDArray[np.float32]:
        """Onset probabilities ``(N, 96, 9)`` as played: only each instrument's peaks
        (:func:`rvae_server.core.peaks.peak_probs`) and at most the model's ``space.cap`` of them
        (:func:`~rvae_server.core.peaks.cap_probs`); as they are when :attr:`peaks` is false."""
        if self.cap is not None and self.peaks:
            return cap_probs(probs, *self.cap)
        return peak_probs(probs) if self.peaks else probs

    @staticmethod
    def from_data(data: ModelData) -> LoadedModel:
        return LoadedModel(data.to_module(), data.meta, data.name, data.path)

    @staticmethod
    def from_module(
        model: RhythmVAE, meta: dict[str, Any] | None = None, name: str = "unsaved", *, peaks: bool = True
    ) -> LoadedModel:
        return LoadedModel(model, meta or {}, name, peaks=peaks)

    @staticmethod
    def load(name_or_path: str | os.PathLike[str], dirs: Iterable[str | os.PathLike[str]] | None = None) -> LoadedModel:
        """Resolve (:func:`rvae_server.model.modeldirs.resolve_model`), validate and load a model; raises
        :class:`rvae_server.model.modelfile.ModelFileError`."""
        return LoadedModel.from_data(load_model(resolve_model(name_or_path, dirs)))

    # ---------------------------------------------------------------------------------------------- decoding

    def decode_latent(self, z: NDArray[np.floating]) -> DecodedPlanes:
        """Decode latent points ``(N, 2)`` (or one ``(2,)``) into planes ``(N, 3, 96, 9)``. The hot path: one
        point is decoded exactly by incremental piecewise-linear updates (~0.1 ms, see :class:`_PiecewiseDecoder`;
        it agrees with the batch path within 1e-5), several in one batched matrix product. Raises ``ValueError``
        for NaN or infinite points."""
        arr_z = np.asarray(z, dtype=np.float32).reshape(-1, self.config.latent)
        if not np.isfinite(arr_z).all():
            raise ValueError("latent points must be finite (found NaN or inf)")
        c2 = 2 * self._cells
        if arr_z.shape[0] == 1:
            logits = self._single(arr_z[0].astype(np.float64))
            out1 = np.empty_like(logits)
            np.multiply(logits[:c2], 0.5, out=out1[:c2])
            np.tanh(out1[:c2], out=out1[:c2])
            out1[:c2] += 1.0
            out1[:c2] *= 0.5  # sigmoid(x) = (1 + tanh(x / 2)) / 2, no overflow
            np.tanh(logits[c2:], out=out1[c2:])
            return DecodedPlanes(self._played(out1.reshape(1, 3, TICKS, N_INSTRUMENTS)))
        zt = torch.from_numpy(arr_z)
        with torch.inference_mode():
            h = zt
            for w, b in self._dec:
                h = F.leaky_relu(F.linear(h, w, b), self._slope)
            out = F.linear(h, self._out_w, self._out_b)
            out[:, :c2].sigmoid_()
            out[:, c2:].tanh_()
            arr = out.numpy()
        return DecodedPlanes(self._played(arr.reshape(-1, 3, TICKS, N_INSTRUMENTS)))

    def onset_probs(self, z: NDArray[np.floating]) -> NDArray[np.float32]:
        """Only the onset probabilities ``(N, 96, 9)`` of latent points ``(N, 2)``, as played (:meth:`_played_probs`),
        in one batch: the velocity and microtiming heads (two thirds of the output layer) are not computed — what
        the page's grid draws."""
        arr_z = np.asarray(z, dtype=np.float32).reshape(-1, self.config.latent)
        if not np.isfinite(arr_z).all():
            raise ValueError("latent points must be finite (found NaN or inf)")
        cells = self._cells
        with torch.inference_mode():
            h = torch.from_numpy(arr_z)
            for w, b in self._dec:
                h = F.leaky_relu(F.linear(h, w, b), self._slope)
            out = F.linear(h, self._out_w[:cells], self._out_b[:cells]).sigmoid_()
            return self._played_probs(out.numpy().reshape(-1, TICKS, N_INSTRUMENTS))

    def grid_probs(self, n: int = 30) -> NDArray[np.float32]:
        """The onset probabilities of the ``n × n`` pad grid (:func:`grid_points`' order) — :meth:`onset_probs`:
        ~14 ms for 30 × 30 on one torch thread (decoding ~5 ms, the peaks and the cap the rest;
        ``benchmarks/bench_engine``)."""
        return self.onset_probs(self.pad_to_latent(grid_points(n)))

    def decode_ticks(self, z: NDArray[np.floating]) -> NDArray[np.float32]:
        """One bar whose tick ``t`` is decoded at latent point ``z[t]`` (``z``: ``(96, 2)``): planes ``(3, 96, 9)``
        as :meth:`DecodedPlanes.one` gives them. Exact (the same numbers as decoding each point and taking its
        tick's row), and only the rows needed are computed: the hidden layers for the 96 points, then one small
        product per tick (~0.25 ms a bar), so a moving point is planned per tick. Any number of hidden layers.
        Raises ``ValueError`` for a wrong shape or NaN."""
        arr_z = np.asarray(z, dtype=np.float32)
        if arr_z.shape != (TICKS, self.config.latent):
            raise ValueError(f"one latent point per tick: shape ({TICKS}, {self.config.latent}), not {arr_z.shape}")
        if not np.isfinite(arr_z).all():
            raise ValueError("latent points must be finite (found NaN or inf)")
        if self._per_tick is None:
            hidden = self._out_w.shape[1]
            weights = self._out_w.reshape(3, TICKS, N_INSTRUMENTS, hidden).permute(1, 3, 0, 2)
            bias = self._out_b.reshape(3, TICKS, N_INSTRUMENTS).permute(1, 0, 2)
            self._per_tick = (
                weights.reshape(TICKS, hidden, 3 * N_INSTRUMENTS).contiguous(),
                bias.reshape(TICKS, 3 * N_INSTRUMENTS).contiguous(),
            )
        w, b = self._per_tick
        with torch.inference_mode():
            h = torch.from_numpy(arr_z)
            for weight, bias in self._dec:
                h = F.leaky_relu(F.linear(h, weight, bias), self._slope)
            out = (torch.bmm(h[:, None, :], w)[:, 0, :] + b).reshape(TICKS, 3, N_INSTRUMENTS)
            out[:, :2].sigmoid_()
            out[:, 2].tanh_()
            return self._played(out.permute(1, 0, 2).contiguous().numpy()[None])[0]

    def pad_to_latent(self, xy: NDArray[np.floating] | Sequence[float]) -> NDArray[np.float32]:
        """Pad coordinates → this model's latent (its :attr:`mapping`; values outside the pad extrapolate)."""
        return self.mapping.to_latent(xy)

    def latent_to_pad(self, z: NDArray[np.floating] | Sequence[float]) -> NDArray[np.float32]:
        """This model's latent → pad coordinates (not clipped)."""
        return self.mapping.to_pad(z)

    def decode_pad(self, xy: NDArray[np.floating]) -> DecodedPlanes:
        """Decode pad points ``(N, 2)`` (or one ``(2,)``)."""
        return self.decode_latent(self.pad_to_latent(np.asarray(xy, dtype=np.float32).reshape(-1, 2)))

    def decode_grid(self, n: int = 30) -> DecodedPlanes:
        """Decode the ``n × n`` pad grid of :func:`~rvae_server.model.planes.grid_points` in one batch (row-major:
        y rows, x columns)."""
        return self.decode_pad(grid_points(n))

    def pattern(
        self,
        xy: NDArray[np.floating] | Sequence[float],
        threshold: float = 0.5,
        noise: float = 0.0,
        rng: np.random.Generator | None = None,
        mutes: Sequence[bool] | NDArray[np.bool_] | None = None,
    ) -> Bar:
        """The bar at pad point ``xy``: ``noise`` n ∈ [0, 1] adds a Gaussian offset of standard deviation n latent
        units before decoding (drawn from ``rng``, default a fresh generator); then
        :func:`~rvae_server.model.planes.threshold_planes`."""
        z = self.pad_to_latent(np.asarray(xy, dtype=np.float32).reshape(2))
        if noise > 0.0:
            gen = rng if rng is not None else np.random.default_rng()
            z = (z + noise * gen.standard_normal(2)).astype(np.float32)
        return threshold_planes(self.decode_latent(z).one(0), threshold, mutes)

    def suggest_threshold(self, onsets_per_bar: float | None = None, n: int = 30) -> float:
        """A threshold at which the ``n × n`` pad grid averages ``onsets_per_bar`` onsets a bar (default: the
        training bars' mean from the metadata, else 16), in steps of 0.01 within [0.05, 0.95]. Decoded onset
        probabilities of human-played clips spread over neighbouring ticks, so 0.5 can give sparse bars.
        Takes ~50 ms (decodes the grid)."""
        if onsets_per_bar is None:
            recorded = (self.meta.get("training") or {}).get("onsets_per_bar")
            onsets_per_bar = float(recorded) if isinstance(recorded, int | float) and recorded > 0 else 16.0
        probs = self.decode_grid(n).probs.reshape(n * n, -1)
        candidates = np.round(np.arange(0.05, 0.951, 0.01), 2)
        counts = np.array([(probs >= t).sum(axis=1).mean() for t in candidates])
        return float(candidates[int(np.argmin(np.abs(counts - onsets_per_bar)))])

    # ---------------------------------------------------------------------------------------------- encoding

    def encoder_tensors(self) -> dict[str, NDArray[np.float32]]:
        """The encoder's weights to the posterior mean (copies): ``hidden.weight``, ``hidden.bias``,
        ``mean.weight``, ``mean.bias`` (see :meth:`encode_latent`)."""
        parts = {"hidden.weight": self._enc_w, "hidden.bias": self._enc_b, "mean.weight": self._mean_w}
        return {**{k: v.numpy().copy() for k, v in parts.items()}, "mean.bias": self._mean_b.numpy().copy()}

    def encode_latent(self, bars: NDArray[np.floating]) -> NDArray[np.float32]:
        """The posterior means (latent) of bars ``(N, 3, 96, 9)``, ``(N, 2)``."""
        x = torch.from_numpy(flatten_bars(bars))
        with torch.inference_mode():
            h = F.leaky_relu(F.linear(x, self._enc_w, self._enc_b), self._slope)
            mean = F.linear(h, self._mean_w, self._mean_b)
        return mean.numpy().copy()

    def encode(self, bars: NDArray[np.floating], clip: bool = True) -> NDArray[np.float32]:
        """Pad coordinates ``(N, 2)`` of bars ``(N, 3, 96, 9)``: the posterior mean mapped to the pad, clipped to
        ``[0, 1]`` unless ``clip`` is false (a mean beyond the pad's edges then falls outside ``[0, 1]``)."""
        xy = self.latent_to_pad(self.encode_latent(bars))
        return np.clip(xy, 0.0, 1.0).astype(np.float32) if clip else xy


__all__ = ["LoadedModel"]
