"""Drawing a map of the space (:class:`rvae_server.model.spacemap.SpaceMap`): ``rvae map … -o map.png|map.html``.

Left, the training bars at their encoded pad XY coloured by style, each style's name at its centroid (the
seed's Figure 3); right, the decoded grid: ``n × n`` pad points (y up), each drawn as its bar (96 ticks across,
the 9 instruments up, kick at the bottom) at the model's suggested threshold. PNG with matplotlib (Agg);
HTML is one self-contained file (no network): the points on a canvas (hover: source file, bar, style; click:
the pad XY to send to ``/rvae/xy``), the decoded grid as an embedded PNG beside it.

:func:`write_pad_png` draws what the web page's pad shows by default: each point of the page's ``n × n`` grid
from its decoded bar, its size the onsets, its colour the mix of kick, snare, hats, toms and cymbals
(:mod:`rvae_server.core.drumgroups`, the rule the page uses), with a legend (``rvae map MODEL --pad pad.png``).
"""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.atomic import atomic_write_bytes, atomic_write_text
from rvae_server.core.bar import INSTRUMENT_NAMES, N_INSTRUMENTS, TICKS, stack
from rvae_server.core.drumgroups import GROUPS, group_counts, mix_colours, point_sizes
from rvae_server.core.midifile import ClipError, find_clips, read_clip
from rvae_server.mining.labels import STYLES, Labeller
from rvae_server.model.inference import LoadedModel
from rvae_server.model.spacemap import SpaceMap, build_map

#: Style colours (matplotlib's tab20, then grey for "other").
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf",
    "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5",
    "#393b79", "#637939",
)  # fmt: skip
OTHER = "#7f7f7f"
INSTRUMENT_RGB = np.array(
    [[255, 77, 94], [61, 220, 132], [77, 163, 255], [140, 200, 255], [255, 176, 32], [255, 210, 90],
     [255, 240, 150], [220, 120, 255], [180, 180, 200]], dtype=np.uint8,
)  # fmt: skip


def style_colours(styles: list[str], present: set[int] | None = None) -> list[str]:
    """A colour per style; the styles in ``present`` (default all) get distinct colours in order, "other" grey."""
    out, k = [], 0
    for i, s in enumerate(styles):
        if s == "other" or (present is not None and i not in present):
            out.append(OTHER)
        else:
            out.append(PALETTE[k % len(PALETTE)])
            k += 1
    return out


def clips_map(model: LoadedModel, paths: list[str]) -> SpaceMap:
    """The map of the bars of MIDI clips (files or folders), styles found by :class:`Labeller`; unreadable files
    are left out."""
    bars, style, file, bar = [], [], [], []
    styles: list[str] = list(STYLES)
    files: list[str] = []
    for root in paths:
        labeller = Labeller(root if os.path.isdir(root) else os.path.dirname(os.path.abspath(root)))
        for path in find_clips([root]):
            try:
                clip = read_clip(path)
            except ClipError:
                continue
            name, _ = labeller.label(path)
            if name not in styles:
                styles.append(name)
            files.append(str(path))
            for b in clip.bars:
                bars.append(b.bar)
                style.append(styles.index(name))
                file.append(len(files) - 1)
                bar.append(b.source_bar)
    planes = stack(bars)
    return build_map(model, planes, np.array(style), styles, np.array(file), files, np.array(bar), ", ".join(paths))


def grid_image(model: LoadedModel, n: int = 12, threshold: float | None = None) -> NDArray[np.uint8]:
    """The decoded ``n × n`` grid as an RGB image: one tile (9 instruments × 96 ticks, kick at the bottom; 1-pixel
    gaps) per point, y up."""
    thr = model.suggest_threshold() if threshold is None else threshold
    probs = model.decode_grid(n).probs  # (n*n, 96, 9), row-major: y rows, x columns
    rows = 3  # pixel rows per instrument
    th, tw = N_INSTRUMENTS * rows + 2, TICKS + 2
    img = np.full((n * th, n * tw, 3), 12, dtype=np.uint8)
    for i in range(n):  # y index
        for j in range(n):  # x index
            on = probs[i * n + j] >= thr  # (96, 9)
            tile = np.full((N_INSTRUMENTS, TICKS, 3), 28, dtype=np.uint8)
            t, k = np.nonzero(on)
            tile[N_INSTRUMENTS - 1 - k, t] = INSTRUMENT_RGB[k]
            row = (n - 1 - i) * th + 1
            img[row : row + N_INSTRUMENTS * rows, j * tw + 1 : j * tw + 1 + TICKS] = np.repeat(tile, rows, axis=0)
    return img


def _figure(space: SpaceMap, model: LoadedModel, grid_n: int, scatter: bool = True) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = style_colours(space.styles, set(space.style.tolist()))
    panels = 2 if scatter else 1
    fig, axes = plt.subplots(1, panels, figsize=(8 * panels, 8.4), dpi=100, squeeze=False)
    if scatter:
        ax = axes[0][0]
        for k, name in enumerate(space.styles):
            mask = space.style == k
            if mask.any():
                ax.scatter(space.xy[mask, 0], space.xy[mask, 1], s=6, c=colours[k], alpha=0.6, linewidths=0,
                           label=f"{name} ({int(mask.sum())})")  # fmt: skip
        for name, (x, y) in space.centroids().items():
            ax.text(x, y, name, fontsize=11, weight="bold", ha="center", va="center",
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": colours[space.styles.index(name)],
                          "alpha": 0.85})  # fmt: skip
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        ax.set_xlabel("pad x")
        ax.set_ylabel("pad y")
        ax.set_title(f"{space.model}: {len(space)} training bars by style")
        if len(space):
            ax.legend(loc="upper right", ncol=2, fontsize=8, markerscale=2, framealpha=0.8)
    ax = axes[0][panels - 1]
    ax.imshow(grid_image(model, grid_n), extent=(0, 1, 0, 1), aspect="equal", interpolation="nearest")
    ax.set_title(f"decoded {grid_n}×{grid_n} grid: a bar per point (ticks →, {INSTRUMENT_NAMES[0]} at the bottom)")
    ax.set_xlabel("pad x")
    ax.set_ylabel("pad y")
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


def pad_figure(model: LoadedModel, n: int = 30, threshold: float = 0.5, mutes: list[bool] | None = None) -> bytes:
    """The pad's still picture as PNG bytes (see the module docstring): ``n × n`` points, y up."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    counts = group_counts(model.decode_grid(n).probs, threshold, mutes)  # (n*n, groups), row-major: y rows
    colours = mix_colours(counts) / 255.0
    sizes = point_sizes(counts)
    coords = (np.arange(n) + 0.5) / n
    xs, ys = np.tile(coords, n), np.repeat(coords, n)  # point p = row * n + col: x = col, y = row
    fig, ax = plt.subplots(figsize=(8, 8.8), dpi=100)
    fig.patch.set_facecolor("#07080b")
    ax.set_facecolor("#000000")
    cell = 8 * 72 * 0.85 / n  # a cell's width in points
    full = (cell * 0.96) ** 2  # marker area of the busiest point
    silent = sizes == 0
    area = np.where(silent, (cell * 0.24) ** 2, np.maximum(sizes, 0.22) ** 2 * full)
    ax.scatter(xs, ys, s=area, c=colours, linewidths=0)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    top = int(counts.sum(axis=1).max()) if len(counts) else 0
    ax.set_title(f"{model.name}: what plays where (threshold {threshold:g}; size = onsets, largest {top})",
                 color="#e8ecf3", fontsize=11)  # fmt: skip
    handles = [Line2D([], [], marker="o", linestyle="", color=g.hex, label=g.name, markersize=9) for g in GROUPS]
    legend = fig.legend(handles=handles, loc="lower center", ncol=len(GROUPS), frameon=False, fontsize=11)
    for text in legend.get_texts():
        text.set_color("#e8ecf3")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    out = io.BytesIO()
    fig.savefig(out, format="png", facecolor=fig.get_facecolor())
    plt.close(fig)
    return out.getvalue()


def write_pad_png(
    model: LoadedModel,
    path: str | os.PathLike[str],
    n: int = 30,
    threshold: float = 0.5,
    mutes: list[bool] | None = None,
) -> None:
    atomic_write_bytes(path, pad_figure(model, n, threshold, mutes))


def write_png(space: SpaceMap, model: LoadedModel, path: str | os.PathLike[str], grid_n: int = 12) -> None:
    atomic_write_bytes(path, _figure(space, model, grid_n))


def write_html(space: SpaceMap, model: LoadedModel, path: str | os.PathLike[str], grid_n: int = 12) -> None:
    data = space.to_json()
    data["colours"] = style_colours(space.styles, set(space.style.tolist()))
    grid_png = base64.b64encode(_figure(space, model, grid_n, scatter=False)).decode()
    page = (Path(__file__).parent / "map_template.html").read_text(encoding="utf-8")
    page = page.replace("__TITLE__", _escape(f"{space.model}: map of the space"))
    page = page.replace("__GRID__", grid_png).replace("__DATA__", json.dumps(data).replace("</", "<\\/"))
    atomic_write_text(path, page)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


__all__ = ["clips_map", "grid_image", "pad_figure", "style_colours", "write_html", "write_pad_png", "write_png"]
