"""Fit our key detector's weights (rvae_server/melody/keyfinder.py) on the hand-labelled melodies and print how it
does by cross-validation beside the paper's detector (rvae_server/melody/tonika.py).

    python scripts/fit_key_detector.py [--data ../shared/data/keys] [--write]

The labelled set is the half of the paper authors' melodies this project holds (keys.tsv: file, German key name);
the other half is kept back for checking and never read here. Folds: melody i is in fold i % 4 (file-name order),
and leave-one-out. ``--write`` puts the weights fitted on all of them into keyfinder.py's WEIGHTS.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from rvae_server.melody.keyfinder import FEATURES, PENALTY, cv_table, fit_weights, labelled_melodies

ROOT = Path(__file__).resolve().parents[1]
DATA = next((p / "shared" / "data" / "keys" for p in ROOT.parents if (p / "shared" / "data" / "keys").is_dir()),
            ROOT / "tests" / "data" / "keys")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--write", action="store_true", help="write the weights into keyfinder.py")
    args = parser.parse_args()
    x, truth, paper = labelled_melodies(args.data)
    for folds in (4, len(truth)):
        print("\n".join(cv_table(x, truth, paper, folds)))
    weights = fit_weights(x, truth, PENALTY)
    text = "WEIGHTS: dict[str, float] = {\n"
    text += "".join(f'    "{name}": {value:.6g},\n' for name, value in zip(FEATURES, weights, strict=True)) + "}\n"
    print(text)
    if args.write:
        target = ROOT / "rvae_server" / "melody" / "keyfinder.py"
        source = re.sub(r"WEIGHTS: dict\[str, float\] = \{.*?\n\}\n", text, target.read_text(encoding="utf-8"),
                        count=1, flags=re.S)  # fmt: skip
        target.write_text(source, encoding="utf-8")
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
