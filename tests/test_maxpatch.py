"""The Max patch (maxpatch/rvae.maxpat) and the Max for Live device (maxpatch/rvae.amxd).

Static checks: the committed files equal what maxpatch/generate.py writes; the patch is a valid JSON patcher with
unique ids; every box declares the inlet/outlet counts Max gives that object; every patch line joins existing
boxes within those counts; every OSC address the patch sends is one the server handles, and reaches the
udpsend; the 9 mutes are the instrument table in order; every address the patch routes is one the server sends.

Live check: a real OSC server (real Engine on an InternalClock, the test kit's synthetic model) on a free
loopback port gets every message the patch can send, with sample arguments, over real UDP; none may come back as
an error, and the feedback the patch draws from (bar rows, state, model list) has the shape the patch expects.
"""

from __future__ import annotations

import importlib.util
import json
import re
import struct
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from rvae_server.core.bar import INSTRUMENT_NAMES, TICKS
from rvae_server.engine.clock import InternalClock
from rvae_server.engine.engine import Engine
from rvae_server.engine.melodylayer import MelodyLayer
from rvae_server.melody.modelfile import load_melody
from rvae_server.outputs.capture import Capture, CaptureSink
from rvae_server.surfaces.osc import spec, table
from rvae_server.surfaces.osc.server import OscServer, start_osc
from rvae_server.surfaces.osc.table import FEEDBACK, handles, lookup
from rvae_server.testing import FakeTraining, OscClient, SyntheticModel

ROOT = Path(__file__).resolve().parents[1]
MAXPAT = ROOT / "maxpatch" / "rvae.maxpat"
AMXD = ROOT / "maxpatch" / "rvae.amxd"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rvae_maxpatch_generate", ROOT / "maxpatch" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


generate = _generator()


def load(path: Path = MAXPAT) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def amxd_chunks(data: bytes) -> list[tuple[str, bytes]]:
    """The chunks of a device as Ableton's maxdevtools reads them: 4-byte tag, little-endian uint32 size, data."""
    chunks = []
    index = 0
    while index < len(data):
        assert index + 8 <= len(data), "truncated chunk header"
        tag = data[index : index + 4].decode("ascii")
        (size,) = struct.unpack_from("<I", data, index + 4)
        assert index + 8 + size <= len(data), f"chunk {tag} runs past the end"
        chunks.append((tag, data[index + 8 : index + 8 + size]))
        index += 8 + size
    return chunks


def boxes(patcher: dict[str, Any]) -> list[dict[str, Any]]:
    return [b["box"] for b in patcher["boxes"]]


def by_id(patcher: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["id"]: b for b in boxes(patcher)}


# Inlets and outlets Max 8/9 gives each object the patch uses (Max recomputes them on load, so a line to an
# outlet that does not really exist would be dropped silently: the declared counts must be the real ones): the UI
# objects by maxclass, the fixed-count objects of newobj boxes by name (the others: newobj_counts).
COUNTS = {
    "comment": (1, 0),
    "panel": (1, 0),
    "message": (2, 1),
    "toggle": (1, 1),
    "pictslider": (2, 2),
    "live.dial": (1, 2),
    "live.numbox": (1, 2),
    "live.text": (1, 2),
    "umenu": (1, 3),
    "textedit": (1, 4),
    "dropfile": (1, 2),
    "multislider": (1, 2),
    "matrixctrl": (1, 2),
    "loadbang": (1, 1),
    "deferlow": (1, 1),
    "udpsend": (1, 0),
    "udpreceive": (1, 1),
    "s": (1, 0),
    "r": (0, 1),
    "print": (1, 0),
    "prepend": (1, 1),
    "zl": (2, 2),
    "listfunnel": (1, 1),
    "conformpath": (1, 2),
    "midiin": (1, 1),
    "midiout": (1, 0),
    "*": (2, 1),
    ">": (2, 1),
    "metro": (2, 1),
    "transport": (2, 9),
    "js": (1, 1),  # rvae_sequencer.js and rvae_clip.js set inlets = 1, outlets = 1 (their node tests check)
    "i": (2, 1),
    "fromsymbol": (1, 1),
    "pattr": (1, 3),
}


def newobj_counts(text: str) -> tuple[int, int]:
    name, *args = text.split()
    n = len(args)
    if name in COUNTS:
        return COUNTS[name]
    if name == "route":
        return 2, n + 1
    if name in ("t", "trigger"):
        return 1, n
    if name in ("pack", "pak"):
        return n, 1
    if name == "gate":
        return 2, int(args[0])
    if name == "unpack":
        return 1, n
    if name == "sprintf":
        return len(re.findall(r"%[-+ #0-9.]*[a-zA-Z]", text)), 1
    raise AssertionError(f"no known inlet/outlet counts for [{text}]: add them to this table")


def sent_templates(patcher: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every message the patch can send to the server, as text: message boxes starting with /rvae, and the
    prefixes of ``prepend /rvae...`` / ``sprintf /rvae...`` objects (their arguments arrive at run time)."""
    out = []
    for box in boxes(patcher):
        text = str(box.get("text", ""))
        if box["maxclass"] == "message" and text.startswith("/rvae"):
            out.append((text, box))
        elif box["maxclass"] == "newobj":
            words = text.split()
            if words and words[0] in ("prepend", "append", "sprintf") and len(words) > 1:
                rest = [w for w in words[1:] if w != "symout"]
                if rest and rest[0].startswith("/rvae"):
                    out.append((" ".join(rest), box))
            elif any(w.startswith("/rvae") for w in words) and words[0] not in ("route", "select", "sel"):
                raise AssertionError(f"[{text}] mentions an OSC address this test does not know how to check")
    return out


# ------------------------------------------------------------------------------------------ static checks


def test_committed_files_equal_the_generated_ones():
    assert MAXPAT.read_text(encoding="utf-8") == generate.maxpat_text(), (
        "maxpatch/rvae.maxpat is stale: python maxpatch/generate.py > maxpatch/rvae.maxpat"
    )
    assert AMXD.read_bytes() == generate.amxd_bytes(), (
        "maxpatch/rvae.amxd is stale: python maxpatch/generate.py --amxd maxpatch/rvae.amxd"
    )


@pytest.mark.parametrize("document", ["maxpat", "amxd"])
def test_valid_patcher_with_unique_ids_and_real_io_counts(document):
    if document == "maxpat":
        patcher = load()["patcher"]
    else:
        chunks = dict(amxd_chunks(AMXD.read_bytes()))
        patcher = json.loads(chunks["ptch"].rstrip(b"\x00").decode("utf-8"))["patcher"]
    assert patcher["fileversion"] == 1 and patcher["classnamespace"] == "box"
    assert {"major", "minor", "revision"} <= set(patcher["appversion"])
    ids = [b["id"] for b in boxes(patcher)]
    assert len(ids) == len(set(ids)), "box ids must be unique"
    for box in boxes(patcher):
        inlets, outlets = box["numinlets"], box["numoutlets"]
        assert isinstance(inlets, int) and isinstance(outlets, int)
        if outlets:
            assert len(box["outlettype"]) == outlets, box
        assert len(box["patching_rect"]) == 4
        cls = box["maxclass"]
        expected = newobj_counts(box["text"]) if cls == "newobj" else COUNTS.get(cls)
        assert expected is not None, f"unknown maxclass {cls}: add its counts to COUNTS"
        assert (inlets, outlets) == expected, f"{box['id']} [{box.get('text', cls)}] declares {inlets}/{outlets}"
    parameters = patcher["parameters"]
    for box in boxes(patcher):
        if box.get("parameter_enable") == 1:
            assert box["id"] in parameters and box["varname"]
            valueof = box["saved_attribute_attributes"]["valueof"]
            assert valueof["parameter_longname"] == parameters[box["id"]][0]
    longnames = [v[0] for k, v in parameters.items() if k.startswith("obj-")]
    assert len(longnames) == len(set(longnames)), "parameter names must be unique"


@pytest.mark.parametrize("device", [False, True])
def test_every_line_joins_existing_boxes_within_their_counts(device):
    patcher = generate.build(device)["patcher"]
    known = by_id(patcher)
    assert patcher["lines"], "a patch without lines"
    seen = set()
    for line in patcher["lines"]:
        (src, outlet), (dst, inlet) = line["patchline"]["source"], line["patchline"]["destination"]
        assert src in known and dst in known, line
        assert 0 <= outlet < known[src]["numoutlets"], f"{src} [{known[src].get('text')}] has no outlet {outlet}"
        assert 0 <= inlet < known[dst]["numinlets"], f"{dst} [{known[dst].get('text')}] has no inlet {inlet}"
        key = (src, outlet, dst, inlet)
        assert key not in seen, f"duplicate line {key}"
        seen.add(key)


def test_presentation_fits_a_max_for_live_device():
    patcher = load()["patcher"]
    assert patcher["openinpresentation"] == 1
    width = patcher["devicewidth"]
    shown = [b for b in boxes(patcher) if b.get("presentation") == 1]
    assert len(shown) > 30
    for box in shown:
        x, y, w, h = box["presentation_rect"]
        assert x >= 0 and y >= 0 and x + w <= width + 0.5 and y + h <= 169.0 + 0.5, box


def overlapping(rects: list[tuple[str, list[float]]]) -> list[tuple[str, str]]:
    out = []
    for k, (a, (ax, ay, aw, ah)) in enumerate(rects):
        for b, (bx, by, bw, bh) in rects[k + 1 :]:
            if ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah:
                out.append((a, b))
    return out


def test_layout_is_tidy():
    """No two boxes overlap in the patching view (widths as the generator estimates them), nor in the
    performer view except the two loss plots, drawn on top of each other on purpose."""
    patcher = load()["patcher"]
    assert not overlapping([(b["id"], b["patching_rect"]) for b in boxes(patcher)])
    shown = [b for b in boxes(patcher) if b.get("presentation") == 1 and not b.get("background")]
    pairs = overlapping([(b["id"], b["presentation_rect"]) for b in shown])
    known = by_id(patcher)
    assert all(known[a]["maxclass"] == known[b]["maxclass"] == "multislider" for a, b in pairs), pairs


@pytest.mark.parametrize("layer", [1, 2, 8])
def test_every_address_the_patch_sends_is_handled_by_the_server(layer):
    patcher = load()["patcher"] if layer == 1 else generate.build(layer=layer)["patcher"]
    templates = sent_templates(patcher)
    addresses = {text.split()[0] for text, _ in templates}
    for address in addresses:
        scoped = re.fullmatch(r"/rvae/layer/(\d+)/(.+)", address)
        assert handles(address), f"the patch sends {address}, which the server does not handle"
        if scoped:  # /rvae/layer/N/verb: N is this patch's layer and the verb exists per layer
            assert int(scoped.group(1)) == layer and handles(f"/rvae/{scoped.group(2)}")
    # the controls the issue asks for are all there
    for wanted in (
        "/rvae/xy",
        "/rvae/threshold",
        "/rvae/noise",
        "/rvae/mute",
        "/rvae/model",
        "/rvae/bpm",
        "/rvae/play",
        "/rvae/stop",
        "/rvae/train",
        "/rvae/train/cancel",
        "/rvae/models",
        "/rvae/feedback",
    ):
        assert generate.layer_address(wanted.removeprefix("/rvae/"), layer) in addresses, wanted
    if layer != 1:  # layer-scoped verbs go to /rvae/layer/N/..., global ones stay /rvae/...
        assert f"/rvae/layer/{layer}/xy" in addresses and "/rvae/bpm" in addresses
        texts = [str(b.get("text", "")) for b in boxes(patcher)]
        assert f"udpreceive {generate.FEEDBACK_PORT + layer - 1}" in texts
        assert f"route {layer}" in texts
    # message boxes carry the argument count the table wants ($N placeholders and literals)
    for text, box in templates:
        if box["maxclass"] != "message":
            continue
        address, *args = text.split()
        found = lookup(address)
        assert found is not None
        entry = found[0]
        required = sum(1 for a in entry.args if not a.optional)
        assert required <= len(args) <= len(entry.args), f"[{text}] for {address} ({entry.args})"


def test_every_sender_reaches_the_udpsend_to_the_server():
    patcher = load()["patcher"]
    known = by_id(patcher)
    following: dict[str, set[str]] = {}
    for line in patcher["lines"]:
        following.setdefault(line["patchline"]["source"][0], set()).add(line["patchline"]["destination"][0])
    receivers: dict[str, set[str]] = {}
    for box in boxes(patcher):
        words = str(box.get("text", "")).split()
        if box["maxclass"] == "newobj" and len(words) == 2 and words[0] == "r":
            receivers.setdefault(words[1], set()).add(box["id"])
    udpsend = [b["id"] for b in boxes(patcher) if str(b.get("text", "")).startswith("udpsend ")]
    assert len(udpsend) == 1
    assert known[udpsend[0]]["text"] == f"udpsend {spec.DEFAULT_HOST} {spec.DEFAULT_PORT}"

    def reaches(start: str) -> bool:
        todo, seen = [start], set()
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            if node == udpsend[0]:
                return True
            todo.extend(following.get(node, ()))
            words = str(known[node].get("text", "")).split()
            if known[node]["maxclass"] == "newobj" and len(words) == 2 and words[0] == "s":
                todo.extend(receivers.get(words[1], ()))
        return False

    for text, box in sent_templates(patcher):
        assert reaches(box["id"]), f"[{text}] never reaches the udpsend"


def test_feedback_port_is_registered_at_load():
    patcher = load()["patcher"]
    texts = [str(b.get("text", "")) for b in boxes(patcher)]
    assert f"udpreceive {generate.FEEDBACK_PORT}" in texts
    assert f"/rvae/feedback {spec.DEFAULT_HOST} {generate.FEEDBACK_PORT}" in texts
    assert "loadbang" in texts


def test_routed_feedback_addresses_are_ones_the_server_sends():
    patcher = load()["patcher"]
    routes = [b for b in boxes(patcher) if str(b.get("text", "")).startswith("route /rvae/")]
    routed = [address for route in routes for address in route["text"].split()[1:]]
    assert len(routed) == len(set(routed))
    sent = {f.address for f in FEEDBACK}
    replies = " ".join(e.reply for e in table.ADDRESSES)
    for address in routed:
        assert address in sent or re.search(rf"{re.escape(address)}(\s|$)", replies), address
    for wanted in ("/rvae/bar/row", "/rvae/train/progress", "/rvae/models", "/rvae/error"):
        assert wanted in routed


def test_mutes_are_the_instrument_table_in_order():
    patcher = load()["patcher"]
    mutes = [
        b
        for b in boxes(patcher)
        if b["maxclass"] == "live.text"
        and b.get("saved_attribute_attributes", {}).get("valueof", {}).get("parameter_longname", "").startswith("Mute ")
    ]
    mutes.sort(key=lambda b: b["presentation_rect"][1])
    assert [b["text"] for b in mutes] == list(INSTRUMENT_NAMES)
    assert [b["saved_attribute_attributes"]["valueof"]["parameter_longname"] for b in mutes] == [
        f"Mute {name}" for name in INSTRUMENT_NAMES
    ]
    assert all(b["mode"] == 1 for b in mutes), "mutes are toggles"
    known = by_id(patcher)
    following = {(ln["patchline"]["source"][0]): ln["patchline"]["destination"][0] for ln in patcher["lines"]}
    assert [known[following[b["id"]]]["text"] for b in mutes] == [f"/rvae/mute {n} $1" for n in INSTRUMENT_NAMES]
    (matrix,) = [b for b in boxes(patcher) if b["maxclass"] == "matrixctrl"]
    assert (matrix["columns"], matrix["rows"]) == (TICKS, len(INSTRUMENT_NAMES))


def by_varname(patcher: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["varname"]: b for b in boxes(patcher) if b.get("varname")}


def test_live_mappable_parameters():
    patcher = load()["patcher"]
    names = {v[0] for k, v in patcher["parameters"].items() if k.startswith("obj-")}
    assert {"X", "Y", "Threshold", "Noise", "Model", "Play here"} <= names
    # utility buttons and the tempo (Live owns it) are controls, not automatable parameters
    named = by_varname(patcher)
    for name in ("Connect", "Refresh models", "Train", "Cancel training", "Tempo"):
        assert named[name].get("parameter_enable") == 0 and name not in names, name
    # the model is a saved parameter (any value, stored with the set, not automatable)
    model = named["Model"]["saved_attribute_attributes"]["valueof"]
    assert (model["parameter_type"], model["parameter_invisible"]) == (3, 1)
    # no initial values: a set that loads shows the server's values and pushes none
    for box in boxes(patcher):
        valueof = box.get("saved_attribute_attributes", {}).get("valueof", {})
        if box.get("varname") != "Play here":
            assert not valueof.get("parameter_initial_enable"), box["varname"]
    dials = {b["varname"]: b for b in boxes(patcher) if b["maxclass"] == "live.dial"}
    for name in ("X", "Y", "Threshold", "Noise"):
        valueof = dials[name]["saved_attribute_attributes"]["valueof"]
        assert (valueof["parameter_mmin"], valueof["parameter_mmax"]) == (0.0, 1.0)


def test_amxd_container_is_a_midi_effect_holding_the_patch_plus_a_midi_thru():
    data = AMXD.read_bytes()
    chunks = amxd_chunks(data)
    assert [tag for tag, _ in chunks] == ["ampf", "meta", "ptch"]
    assert chunks[0][1] == b"mmmm"  # MIDI effect
    assert len(chunks[1][1]) == 4
    payload = chunks[2][1]
    assert payload.endswith(b"\x00") and not payload.startswith(b"mx@c")  # plain JSON, not frozen
    device = json.loads(payload[:-1].decode("utf-8"))["patcher"]
    plain = load()["patcher"]
    extra = [b for b in boxes(device) if b["id"] not in by_id(plain)]
    assert sorted(b["text"] for b in extra) == ["midiin", "midiout"]
    # the same patch, but the device plays on its own track by default and the plain patch leaves it to the port
    initial = {
        name: by_varname(patcher)["Play here"]["saved_attribute_attributes"]["valueof"]["parameter_initial"]
        for name, patcher in (("device", device), ("plain", plain))
    }
    assert initial == {"device": [1], "plain": [0]}
    strip = [b for b in boxes(device)[: len(boxes(plain))] if b.get("varname") != "Play here"]
    assert strip == [b for b in boxes(plain) if b.get("varname") != "Play here"]
    assert device["devicewidth"] == plain["devicewidth"]


# ------------------------------------------------------------------------------------------ live check


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Engine, OscServer, OscClient, Path, FakeTraining]]:
    clock = InternalClock(bpm=300.0)
    engine = Engine({"a": SyntheticModel("a"), "b": SyntheticModel("b")}, clock, [], default_model="a", layers=2)
    engine.attach_melody(MelodyLayer(load_melody(), seed=1))  # the melody panel's messages need a melody layer
    engine.start()
    clips = tmp_path / "clips"
    (clips / "set1").mkdir(parents=True)
    training = FakeTraining()
    srv = start_osc(engine, port=0, clip_dirs=[clips], training=training)
    sink = CaptureSink(clock, layers=2)  # /rvae/capture/clip: a capture that heard a note of each layer
    for layer in (0, 1):
        sink.note(time.perf_counter(), layer, 0, 36, 100, 10)
    srv.attach_capture(Capture(sink, tmp_path / "takes"))
    client = OscClient(srv.port)
    yield engine, srv, client, clips, training
    client.sock.close()
    srv.close()
    engine.close()
    clock.close()


def sample(arg: spec.Arg, verb: str, clips: Path) -> Any:
    """A value Max would send for this argument (floats from dials, ints from toggles, symbols from menus)."""
    if verb == "train":
        return str(clips / "set1") if arg.name == "folder" else "mygroove"
    if verb == "model":
        return "b"
    if verb == "melody/key":
        return "Am"
    if arg.kind == "float":
        lo, hi = arg.lo if arg.lo is not None else 0.0, arg.hi if arg.hi is not None else 1.0
        return float(lo + 0.25 * (hi - lo))
    if arg.kind == "int":
        return int(arg.lo if arg.lo is not None else 1)
    if arg.kind == "bool":
        return 1
    if arg.kind == "name-or-index":
        return INSTRUMENT_NAMES[0]
    return arg.choices[0] if arg.choices else "x"


def concrete(text: str, box: dict[str, Any], clips: Path, client_port: int) -> tuple[str, list[Any]]:
    """A message box's text with $N filled in, or a prepend's prefix plus sample arguments."""
    address, *atoms = text.split()
    found = lookup(address)
    assert found is not None
    entry = found[0]
    args: list[Any] = []
    if box["maxclass"] == "message":
        for k, atom in enumerate(atoms):
            if atom.startswith("$"):
                args.append(sample(entry.args[k], entry.verb, clips))
            elif re.fullmatch(r"-?\d+", atom):
                args.append(int(atom))
            elif re.fullmatch(r"-?\d*\.\d*", atom):
                args.append(float(atom))
            else:
                args.append(atom)
        if entry.verb == "feedback":  # the patch's udpreceive port -> this test's socket
            args[1] = client_port
    else:
        args = [sample(a, entry.verb, clips) for a in entry.args if not a.optional]
    return address, args


@pytest.mark.parametrize("layer", [1, 2])
def test_every_message_the_patch_sends_is_accepted_by_a_running_server(server, layer):
    engine, _, client, clips, training = server
    patcher = load()["patcher"] if layer == 1 else generate.build(layer=layer)["patcher"]
    templates = sent_templates(patcher)
    # register for feedback first, exactly as the patch does at load
    templates.sort(key=lambda t: not t[0].startswith("/rvae/feedback"))
    problems = []
    replies: list[tuple[str, list[Any]]] = []
    for text, box in templates:
        address, args = concrete(text, box, clips, client.port)
        client.send(address, *args)
        if address != "/rvae/models":  # answered after every reply to the message before it: the end of those
            client.send("/rvae/models")
        got = client.receive(2.0, until="/rvae/models")
        replies += got
        problems += [(text, address, args, r) for a, r in got if a == "/rvae/error"]
    assert not problems, problems
    assert any(a == "/rvae/feedback/added" for a, _ in replies)
    assert training.started == [(str((clips / "set1").resolve()), "mygroove", [layer - 1])]
    assert engine.state(layer - 1).model == "b"


def test_feedback_has_the_shapes_the_patch_draws(server):
    engine, _, client, _, _ = server
    client.send("/rvae/feedback", "127.0.0.1", client.port)
    got = client.receive(1.0, until="/rvae/state/layer")
    got += client.receive(0.3, quiet=None)
    models = [args for a, args in got if a == "/rvae/state/models"]
    assert models and models[0] == ["a", "b"]  # -> umenu: clear, append each
    layer_fields = {args[1]: args[2:] for a, args in got if a == "/rvae/state/layer" and args[0] == 1}
    assert len(layer_fields["mutes"]) == len(INSTRUMENT_NAMES)  # -> unpack 0 x 9 -> the 9 mute toggles
    assert isinstance(layer_fields["threshold"][0], float) and isinstance(layer_fields["model"][0], str)
    client.send("/rvae/models")
    assert ("/rvae/models", ["a", "b"]) in client.receive(1.0, until="/rvae/models")
    client.send("/rvae/play")
    got = client.receive(4.0, until="/rvae/bar/row")
    got += client.receive(0.5, quiet=None)
    rows = [args for a, args in got if a == "/rvae/bar/row"]
    assert [r for r in rows if r[0] == 1], "no bar feedback for layer 1 while playing"
    for args in rows:
        layer, instrument, *velocities = args  # -> route 1 -> zl nth 1 / zl slice 1 -> listfunnel -> matrixctrl
        assert layer in (1, 2) and 0 <= instrument < len(INSTRUMENT_NAMES)
        assert len(velocities) == TICKS and all(isinstance(v, int) and 0 <= v <= 127 for v in velocities)
    bars = [args for a, args in got if a == "/rvae/bar"]
    assert bars and bars[0][0] == 1  # -> route 1 -> "bar N model"
    engine.stop()


def test_a_loading_set_pushes_nothing_until_the_server_answered():
    """Performance values reach the udpsend only through a gate that starts closed and is opened only by the
    server's answer to the connection (/rvae/feedback/added); what goes around it is the connection itself."""
    patcher = load()["patcher"]
    known = by_id(patcher)
    into: dict[tuple[str, int], list[str]] = {}
    following: dict[str, list[str]] = {}
    for line in patcher["lines"]:
        (src, _), (dst, inlet) = line["patchline"]["source"], line["patchline"]["destination"]
        into.setdefault((dst, inlet), []).append(src)
        following.setdefault(src, []).append(dst)
    (gate,) = [b for b in boxes(patcher) if str(b.get("text", "")).startswith("gate ")]
    assert gate["text"] == "gate 1 0"  # closed at load
    (udpsend,) = [b["id"] for b in boxes(patcher) if str(b.get("text", "")).startswith("udpsend ")]
    feeding = {known[s]["text"] for s in into[(udpsend, 0)]}
    assert feeding == {"gate 1 0", "r ---rvae-direct"}
    assert [known[s]["text"] for s in into[(gate["id"], 1)]] == ["r ---rvae-out"]
    (opener,) = into[(gate["id"], 0)]
    assert known[opener]["text"] == "1"
    # the opener is reached from the /rvae/feedback/added outlet of the feedback router, and from nothing else
    router = [b for b in boxes(patcher) if "/rvae/feedback/added" in str(b.get("text", "")).split()]
    (router_box,) = router
    outlet = router_box["text"].split()[1:].index("/rvae/feedback/added")
    start = [ln["patchline"]["destination"][0] for ln in patcher["lines"]
             if ln["patchline"]["source"] == [router_box["id"], outlet]]  # fmt: skip
    todo, seen = list(start), set()
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(following.get(node, []))
    assert opener in seen
    # only the connection goes around the gate: the feedback registration and the plan subscription
    direct = [b for b in boxes(patcher) if b.get("text") == "s ---rvae-direct"]
    sources = {known[s]["text"].split()[0] for d in direct for s in into[(d["id"], 0)]}
    assert sources == {"/rvae/feedback", "/rvae/plans"}


def test_the_device_plays_the_plans_with_its_sequencer_from_the_transport():
    patcher = generate.build(device=True)["patcher"]
    known = by_id(patcher)
    (js,) = [b for b in boxes(patcher) if str(b.get("text", "")).startswith("js rvae_sequencer.js")]
    assert js["text"] == "js rvae_sequencer.js 1"
    assert (ROOT / "maxpatch" / "rvae_sequencer.js").is_file()
    feeding = {known[ln["patchline"]["source"][0]]["text"] for ln in patcher["lines"]
               if ln["patchline"]["destination"][0] == js["id"]}  # fmt: skip
    assert feeding == {"prepend transport", "prepend plan", "prepend enable"}
    out = [known[ln["patchline"]["destination"][0]]["text"] for ln in patcher["lines"]
           if ln["patchline"]["source"][0] == js["id"]]  # fmt: skip
    assert out == ["midiout"]
    texts = [str(b.get("text", "")) for b in boxes(patcher)]
    assert "/rvae/plans $1 9001" in texts and "transport" in texts and "metro 1 @active 1" in texts
    assert any(t.startswith("route /rvae/plan ") for t in texts)
