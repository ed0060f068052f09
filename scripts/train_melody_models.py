"""Train the bundled melody models in ``models/melody/``: ours (``default``) and the seed paper's baseline
(``seed-baseline``, kept for ``benchmarks/bench_melody.py``), on the same pairs and the same split.

    python scripts/train_melody_models.py [--data ../shared/data/melody] [--out models/melody]
                                          [--epochs 6] [--seed-epochs 24] [--seed 0] [--pairs-cache FILE]

Pairs are mined from every song under ``--data`` (:func:`rvae_server.melody.pairs.mine_pairs`; latent points
from the bundled drum model ``groove-all``), split by song 80/10/10 (train, validation, test; the test songs
are only used by the benchmark) and transposed into all 12 keys while training. One torch thread; same data,
seed and thread count → the same models. The metadata lists every source with its licence.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import torch

from rvae_server.melody.drumencoder import DrumEncoder
from rvae_server.melody.modelfile import save_melody_model
from rvae_server.melody.pairs import PairSet, data_sources, mine_pairs, split_by_song
from rvae_server.melody.training import EpochReport, train_melody, train_seed
from rvae_server.model.inference import LoadedModel

ROOT = Path(__file__).resolve().parents[1]


DATA = ROOT.parent / "shared" / "data" / "melody"
ENCODER = "groove-all"
SPLIT_SEED = 0


def pairs_for(data: Path, cache: Path | None, encoder: DrumEncoder) -> PairSet:
    """Mine the pairs (or read them from ``cache`` when it exists; written there otherwise: a cache must come from
    the same drum encoder, the one the model will carry)."""
    if cache is not None and cache.exists():
        return PairSet.load(cache)
    pairs = mine_pairs([data], encoder=encoder.encode, progress=lambda m: print(m, file=sys.stderr))
    if cache is not None:
        pairs.save(cache)
    return pairs


def licence(data: Path) -> dict[str, Any]:
    sources = data_sources([data])
    return {
        "data": "multi-track game soundtracks: " + ", ".join(s["data"] for s in sources),
        "attribution": "; ".join(f"{s['data']}: {s.get('repository', '?')}, {s.get('licence', '?')}" for s in sources),
        "licence": "each source under its own licence (see sources); the weights are derived from all of them",
        "sources": sources,
        "changes": (
            "Drum tracks quantised to 96-tick bars; each melodic part reduced to one line a bar (highest note, "
            "lowest for basses) on the same grid; pairs of (drum bar, melodic bar) with at least 3 notes kept; "
            "transposed to all 12 keys while training; the weights are derived from them."
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "melody")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed-epochs", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pairs-cache", type=Path, default=None)
    parser.add_argument("--only", choices=("ours", "seed"), default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    started = time.perf_counter()
    drum_encoder = DrumEncoder.from_drum_model(LoadedModel.load(ENCODER, [ROOT / "models"]))
    pairs = pairs_for(args.data, args.pairs_cache, drum_encoder)
    train, val, test = split_by_song(pairs, seed=SPLIT_SEED)
    print(f"{len(pairs)} pairs: {len(train)} train, {len(val)} validation, {len(test)} test "
          f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)  # fmt: skip

    def songs(part: PairSet) -> list[str]:
        return sorted({str(Path(part.songs[i]).relative_to(args.data)) for i in set(part.pair_song.tolist())})

    def report(e: EpochReport) -> None:
        print(f"epoch {e.epoch}: train {e.train_loss:.3f}  validation {e.val_loss:.3f}  ({e.seconds:.0f} s)",
              file=sys.stderr, flush=True)  # fmt: skip

    common = {
        "data": str(args.data.name),
        "songs": {"train": songs(train), "validation": songs(val), "test": songs(test)},
        "split": "by song (older revisions with their song), 80/10/10, seed 0",
        "pairs": {"train": len(train), "validation": len(val), "test": len(test)},
        "latent_encoder": ENCODER,
        "seed": args.seed,
        "torch_threads": 1,
        "transposition": "every pair in all 12 keys, one per epoch: (index + epoch) mod 12",
    }
    for kind in ("ours", "seed"):
        if args.only not in (None, kind):
            continue
        epochs = args.epochs if kind == "ours" else args.seed_epochs
        trainer = train_melody if kind == "ours" else train_seed
        print(f"training {kind} for {epochs} epochs", file=sys.stderr)
        result = trainer(train, val, epochs=epochs, seed=args.seed, progress=report)
        meta = {"training": {**common, **result.summary()}, "licence": licence(args.data)}
        name = "default" if kind == "ours" else "seed-baseline"
        carried = drum_encoder if kind == "ours" else None  # the baseline does not hear the latent point
        path = save_melody_model(result.module, meta, args.out, name, drum_encoder=carried)  # type: ignore[arg-type]
        print(f"saved {path} ({result.seconds:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
