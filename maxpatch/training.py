"""Training from the patch: the clip folder, the name, train and cancel; the loss per epoch and the status line."""

from __future__ import annotations

from .patcher import ACCENT, FG, FIELD, Patcher, text_button
from .setup import Setup, Ui


def training(p: Patcher, s: Setup, ui: Ui) -> None:
    """Training: the clip folder, the name, train and cancel."""
    x0, y0 = 860.0, 320.0
    p.comment("train: drop a folder (inside the server's clip-dirs), name the model, press train", (x0, y0, 480, 18))
    drop = p.box(
        "dropfile",
        (x0, y0 + 24, 204.0, 30.0),
        1,
        2,
        ["", ""],
        present=(722.0, 42.0, 204.0, 30.0),
        types=["fold"],
        bordercolor=ACCENT,
    )
    p.comment(  # behind the dropfile (background layer), so drops land on the dropfile
        "drop a clip folder here",
        (x0 + 210, y0 + 24, 150.0, 18.0),
        (728.0, 48.0, 190.0, 18.0),
        fontsize=9.0,
        textcolor=FG,
        background=1,
        ignoreclick=1,
    )
    to_path = p.obj("conformpath slash boot", x0, y0 + 64, 1, 2, ["", "int"])
    p.wire(drop, 0, to_path)
    folder = p.obj("zl reg", x0, y0 + 96, 2, 2)
    p.wire(to_path, 0, folder, 1)
    show_folder = p.obj("prepend set", x0 + 160, y0 + 96, 1, 1)
    folder_view = p.msg("", x0 + 160, y0 + 126, present=(722.0, 74.0, 204.0, 16.0), fontsize=8.0, ignoreclick=1)
    p.wire(to_path, 0, show_folder)
    p.wire(show_folder, 0, folder_view)
    name = p.box(
        "textedit",
        (x0 + 300, y0 + 64, 100.0, 18.0),
        1,
        4,
        ["", "int", "", ""],
        present=(722.0, 93.0, 100.0, 18.0),
        text="mygroove",
        keymode=1,
        lines=1,
        fontsize=10.0,
        parameter_enable=0,
    )
    train = text_button(p, x0 + 300, y0 + 96, (826.0, 93.0, 48.0, 18.0), "Train", "train", automatable=False)
    cancel = text_button(
        p, x0 + 360, y0 + 96, (878.0, 93.0, 48.0, 18.0), "Cancel training", "cancel", automatable=False
    )
    train_t = p.obj("t b b", x0 + 300, y0 + 126, 1, 2, ["bang", "bang"])
    name_text = p.obj("route text", x0 + 420, y0 + 96, 2, 2)
    join = p.obj("zl join", x0, y0 + 160, 2, 2)
    p.wire(train, 0, train_t)
    p.wire(train_t, 1, name)  # first: the name into the join's cold inlet
    p.wire(name, 0, name_text)
    p.wire(name_text, 0, join, 1)
    p.wire(train_t, 0, folder)  # then: the folder, which sends
    p.wire(folder, 0, join, 0)
    send_train = p.obj(f"prepend {s.to('train')}", x0, y0 + 192, 1, 1)
    p.wire(join, 0, send_train)
    p.wire(send_train, 0, p.send(x0, y0 + 224))
    send_cancel = p.msg(s.to("train/cancel"), x0 + 360, y0 + 160)
    p.wire(cancel, 0, send_cancel)
    p.wire(send_cancel, 0, p.send(x0 + 360, y0 + 192))


def loss(p: Patcher, s: Setup, ui: Ui) -> None:
    """The loss per epoch (two accumulating plots, train and validation, range set from the first epoch's train
    loss) and the training status line."""
    x0, y0 = 860.0, 580.0
    p.comment("loss per epoch: train (accent) and validation (light), scaled to epoch 1", (x0, y0, 440.0, 18.0))
    plots = []
    for k, colour in enumerate((ACCENT, FG)):
        plots.append(
            p.box(
                "multislider",
                (x0 + 520, y0 + 24 + 50 * k, 204.0, 36.0),
                1,
                2,
                ["", ""],
                present=(722.0, 114.0, 204.0, 36.0),
                setminmax=[0.0, 1.0],
                settype=1,
                setstyle=1,
                size=1,
                slidercolor=colour,
                bgcolor=FIELD if k == 0 else [0.0, 0.0, 0.0, 0.0],
                ignoreclick=1,
                parameter_enable=0,
            )
        )
    progress = p.obj("t l l", x0, y0 + 24, 1, 2)
    first = p.obj("route 1", x0 + 100, y0 + 56, 2, 2)  # epoch 1: "epochs train val"
    first_loss = p.obj("zl nth 2", x0 + 100, y0 + 86, 2, 2)
    headroom = p.obj("* 1.2", x0 + 100, y0 + 116, 2, 1, ["float"])
    set_range = p.obj("prepend setminmax 0.", x0 + 100, y0 + 146, 1, 1)
    p.wire(progress, 1, first)
    p.wire(first, 0, first_loss)
    p.wire(first_loss, 0, headroom)
    p.wire(headroom, 0, set_range)
    for k, plot in enumerate(plots):
        x = x0 + 240 * k
        p.wire(set_range, 0, plot)
        series = p.obj("route 1", x, y0 + 190, 2, 2)
        p.wire(progress, 0, series)
        # epoch 1 (list "epochs train val"): the series restarts with this one value
        start = p.obj(f"zl nth {2 + k}", x, y0 + 220, 2, 2)
        start_t = p.obj("t l b", x, y0 + 250, 1, 2)
        one = p.msg("size 1", x + 60, y0 + 280)
        p.wire(series, 0, start)
        p.wire(start, 0, start_t)
        p.wire(start_t, 1, one)
        p.wire(one, 0, plot)
        # later epochs (list "epoch epochs train val"): the stored series + this value
        later = p.obj(f"zl nth {3 + k}", x + 120, y0 + 220, 2, 2)
        later_t = p.obj("t b l", x + 120, y0 + 250, 1, 2)
        stored = p.obj("zl reg", x + 120, y0 + 280, 2, 2)
        grow = p.obj("zl join", x + 120, y0 + 310, 2, 2)
        keep = p.obj("t l l", x, y0 + 340, 1, 2)
        p.wire(series, 1, later)
        p.wire(later, 0, later_t)
        p.wire(later_t, 1, grow, 1)
        p.wire(later_t, 0, stored)
        p.wire(stored, 0, grow, 0)
        p.wire(start_t, 0, keep)
        p.wire(grow, 0, keep)
        p.wire(keep, 1, stored, 1)
        p.wire(keep, 0, plot)
    # one line of text: "epoch 3 of 30 train 123.4567 val 130.0000" (sprintf's output is a message: set ...)
    words = p.obj("sprintf set epoch %ld of %ld train %.4f val %.4f", x0, y0 + 390, 4, 1)
    train_view = p.msg("", x0, y0 + 482, present=(722.0, 152.0, 204.0, 15.0), fontsize=8.0, ignoreclick=1)
    p.wire(progress, 0, words)
    p.wire(words, 0, train_view)
    train_events = {
        "/rvae/train/started": p.obj("prepend set started job", x0 + 320, y0 + 390, 1, 1),
        "/rvae/train/done": p.obj("prepend set done: model", x0 + 320, y0 + 420, 1, 1),
        "/rvae/train/failed": p.obj("prepend set failed:", x0 + 320, y0 + 450, 1, 1),
        "/rvae/train/cancelled": p.obj("prepend set cancelled", x0 + 500, y0 + 450, 1, 1),
    }
    for box in train_events.values():
        p.wire(box, 0, train_view)
    ui.progress = progress
    ui.train_events = train_events
