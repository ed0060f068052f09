/* The control panel: layers, mutes, legend, knobs and transport; what the server's welcome and state messages set. */

import {
  $, CHANNEL_COLOURS, CHANNEL_NAMES, control, layerState, range, recentlyTouched, S, send, sendControl,
  SLIDER_INTERVAL_MS, toast, touched,
} from "./state.js";
import { setView, wirePad } from "./pad.js";
import { DRUM_GROUPS, GROUP_OF, MAX_BPM, MIN_BPM } from "./rules.js";
import { stillTop } from "./still.js";
import { drawLoss, onTraining, wireTraining } from "./training.js";
import { buildMotion, onMotionState } from "./motion.js";
import { buildNoteMap, onNoteMapState } from "./notemap.js";

export function onWelcome(msg) {
  S.welcome = msg;
  S.session = msg.session;
  sessionStorage.setItem("rvae-session", msg.session);
  S.controls = new Map(msg.controls.map((c) => [c.address.replace(/^\/rvae\//, ""), c]));
  S.instruments = msg.instruments;
  S.layerCount = msg.layers;
  if (S.layer >= S.layerCount) S.layer = 0;
  buildLayers();
  buildMutes();
  buildLegend();
  buildMotion();
  buildNoteMap();
  applyRanges();
  $("train-unavailable").hidden = msg.training;
  $("train-body").hidden = !msg.training;
  for (const el of $("train-body").querySelectorAll("button, input")) el.disabled = !msg.training;
  $("drop").classList.toggle("disabled", !msg.training);
  S.training = msg.history.filter((u) => u.kind === "epoch");
  const last = msg.history[msg.history.length - 1];
  if (last) onTraining(last, true);
  drawLoss();
  send({ type: "view", layer: S.layer });
  if (msg.training) send({ type: "uploads" });
}

function applyRanges() {
  for (const name of ["threshold", "noise", "timing"]) {
    const el = $(name);
    el.disabled = !control(name);
    const r = range(name);
    if (r) [el.min, el.max] = r;
  }
  const bpm = range("bpm");
  if (bpm) [$("bpm").min, $("bpm").max] = bpm;
  const vel = range("velocity", 1);
  if (vel) [$("fixed-velocity").min, $("fixed-velocity").max] = vel;
  $("enable").disabled = !control("enable");
  $("undo-model").disabled = !control("undo/model");
}

function buildLayers() {
  const box = $("layers");
  box.textContent = "";
  for (let k = 0; k < S.layerCount; k++) {
    const b = document.createElement("button");
    b.textContent = `Layer ${k + 1}`;
    b.setAttribute("role", "tab");
    b.setAttribute("aria-selected", String(k === S.layer));
    b.addEventListener("click", () => selectLayer(k));
    box.appendChild(b);
  }
}
function selectLayer(k) {
  S.layer = k;
  for (const [i, b] of [...$("layers").children].entries()) b.setAttribute("aria-selected", String(i === k));
  send({ type: "view", layer: k });
  S.target = null;
  S.localTouch.clear();
  if (S.state) onState(S.state);
}

function buildMutes() {
  const box = $("mutes");
  box.textContent = "";
  for (const inst of S.instruments) {
    const b = document.createElement("button");
    b.textContent = inst.name;
    b.dataset.index = inst.index;
    b.addEventListener("click", () => {
      const ls = layerState();
      const muted = ls ? !ls.mutes[inst.name] : true;
      sendControl("mute", [inst.name, muted ? 1 : 0]);
      b.classList.toggle("muted", muted);
      if (ls) ls.mutes[inst.name] = muted;
    });
    box.appendChild(b);
  }
  colourMutes();
}
/* Each mute's edge: its drum group's colour (still view) or the glow channel that shows it. */
export function colourMutes() {
  for (const b of $("mutes").children) {
    const index = Number(b.dataset.index);
    const ch = S.channels.indexOf(index);
    if (S.view !== "glow") b.style.borderLeftColor = DRUM_GROUPS[GROUP_OF[index]].hex;
    else b.style.borderLeftColor = ch >= 0 ? CHANNEL_COLOURS[ch] : "";
  }
}

/* Under the pad: the view (what plays where, or lit in time) and its legend — the drum groups' colours and what a
 * dot's size means (still), or the instrument shown in each colour and the afterglow (glow). */
export function buildLegend() {
  const box = $("legend");
  box.textContent = "";
  const view = document.createElement("select");
  view.id = "pad-view";
  view.setAttribute("aria-label", "what the pad shows");
  view.add(new Option("what plays where", "still"));
  view.add(new Option("lit in time", "glow"));
  view.value = S.view;
  view.addEventListener("change", () => {
    setView(view.value);
    buildLegend();
    colourMutes();
  });
  box.appendChild(view);
  if (S.view === "glow") buildGlowLegend(box);
  else buildStillLegend(box);
}

function buildStillLegend(box) {
  for (const g of DRUM_GROUPS) {
    const key = document.createElement("span");
    key.className = "key";
    const sw = document.createElement("span");
    sw.className = "swatch";
    sw.style.background = g.hex;
    key.append(sw, g.name);
    box.appendChild(key);
  }
  const size = document.createElement("span");
  size.className = "key";
  size.id = "legend-size";
  size.title = "a dot's area goes with the onsets of its bar at this threshold";
  box.appendChild(size);
  showStillSize();
}
/* "size = onsets" with the busiest point's count (it changes with the threshold and mutes). */
export function showStillSize() {
  const el = $("legend-size");
  const text = `size = onsets (largest ${stillTop()})`;
  if (el && el.textContent !== text) el.textContent = text; // unchanged text: no relayout
}

function buildGlowLegend(box) {
  S.channels.forEach((inst, ch) => {
    const label = document.createElement("label");
    const sw = document.createElement("span");
    sw.className = "swatch";
    sw.style.background = CHANNEL_COLOURS[ch];
    const sel = document.createElement("select");
    sel.setAttribute("aria-label", `instrument shown in ${CHANNEL_NAMES[ch]}`);
    const none = new Option("(none)", "-1");
    sel.add(none);
    for (const i of S.instruments) sel.add(new Option(i.name, String(i.index)));
    sel.value = String(inst);
    sel.addEventListener("change", () => {
      S.channels[ch] = Number(sel.value);
      colourMutes();
    });
    label.append(sw, sel);
    box.appendChild(label);
  });
  const label = document.createElement("label");
  label.textContent = "Glow";
  const sel = document.createElement("select");
  sel.id = "glow";
  sel.setAttribute("aria-label", "how long a lit point takes to fade");
  for (const [text, ticks] of [["none", 1], ["16th", 6], ["8th", 12], ["quarter", 24]]) sel.add(new Option(text, String(ticks)));
  sel.value = String(S.glow);
  sel.addEventListener("change", () => {
    S.glow = Number(sel.value);
  });
  label.appendChild(sel);
  box.appendChild(label);
}

/* The model menu: the models that play well, then those their own evaluation flags apart, each with its warning. */
function fillModels(menu, models) {
  const info = (m) => S.modelInfo.get(m) || { poor: false, warnings: [] };
  const key = models.map((m) => `${m}:${info(m).poor}`).join("\n");
  if (menu.dataset.key === key) return;
  menu.dataset.key = key;
  menu.textContent = "";
  const poor = models.filter((m) => info(m).poor);
  for (const m of models.filter((m) => !info(m).poor)) menu.add(new Option(m, m));
  if (!poor.length) return;
  const group = document.createElement("optgroup");
  group.label = "plays poorly (its own evaluation)";
  group.className = "poor";
  for (const m of poor) {
    const o = new Option(`${m} — plays poorly`, m);
    o.className = "poor";
    o.title = info(m).warnings.join("; ") || "its evaluation flags it";
    group.appendChild(o);
  }
  menu.appendChild(group);
}

/* The "models" message: each loaded model's quality flag and warnings (from its stored evaluation). */
export function onModels(msg) {
  S.modelInfo = new Map(msg.models.map((m) => [m.name, { poor: !!m.poor, warnings: m.warnings || [] }]));
  if (S.state) fillModels($("model"), S.state.models || []);
}

export function onState(msg) {
  S.state = msg;
  const ls = layerState();
  // models menu
  const menu = $("model");
  fillModels(menu, msg.models || []);
  if (!ls) return;
  if (!recentlyTouched("model")) menu.value = ls.model;
  if (!recentlyTouched("enable")) {
    $("enable").classList.toggle("on", ls.enabled);
    $("enable").textContent = ls.enabled ? "Layer on" : "Layer off";
  }
  for (const name of ["threshold", "noise", "timing"]) {
    if (!recentlyTouched(name)) {
      $(name).value = ls[name];
      $(`${name}-v`).textContent = Number(ls[name]).toFixed(2);
    }
  }
  if (!recentlyTouched("velocity")) {
    $("velocity-mode").value = ls.velocity_mode;
    $("fixed-velocity").value = ls.fixed_velocity;
    $("fixed-velocity-v").textContent = ls.fixed_velocity;
  }
  $("fixed-velocity").disabled = ls.velocity_mode !== "fixed";
  if (!recentlyTouched("bpm") && document.activeElement !== $("bpm")) $("bpm").value = msg.bpm;
  if (!recentlyTouched("mute")) {
    for (const b of $("mutes").children) {
      const name = S.instruments[Number(b.dataset.index)].name;
      b.classList.toggle("muted", !!ls.mutes[name]);
    }
  }
  if (!S.dragging && !S.target && !recentlyTouched("xy")) S.xy = { x: ls.x, y: ls.y };
  $("xy-text").textContent = `${ls.x.toFixed(2)}, ${ls.y.toFixed(2)}`;
  $("roll-title").textContent = `layer ${S.layer + 1} · ${ls.model}`;
  S.clock.running = msg.playing;
  updateTransport();
  onMotionState();
  onNoteMapState();
}

export function updateTransport() {
  const b = $("play");
  b.classList.toggle("playing", S.clock.running);
  b.innerHTML = S.clock.running ? "&#9632; Stop" : "&#9654; Play";
}

export function wireControls() {
  $("play").addEventListener("click", () => sendControl(S.clock.running ? "stop" : "play", []));
  document.addEventListener("keydown", (ev) => {
    const tag = document.activeElement ? document.activeElement.tagName : "";
    if (ev.code === "Space" && !["INPUT", "SELECT", "TEXTAREA", "BUTTON"].includes(tag)) {
      ev.preventDefault();
      $("play").click();
    }
  });
  const sendBpm = (v) => {
    if (!Number.isFinite(v)) return toast("tempo must be a number");
    touched("bpm");
    sendControl("bpm", [v]);
  };
  $("bpm").min = MIN_BPM;
  $("bpm").max = MAX_BPM;
  $("bpm").addEventListener("change", () => sendBpm(Number($("bpm").value)));
  $("bpm-down").addEventListener("click", () => {
    const v = Math.max(MIN_BPM, Math.round(Number($("bpm").value) - 1));
    $("bpm").value = v;
    sendBpm(v);
  });
  $("bpm-up").addEventListener("click", () => {
    const v = Math.min(MAX_BPM, Math.round(Number($("bpm").value) + 1));
    $("bpm").value = v;
    sendBpm(v);
  });
  $("enable").addEventListener("click", () => {
    const ls = layerState();
    const on = !(ls && ls.enabled);
    touched("enable");
    if (ls) ls.enabled = on;
    $("enable").classList.toggle("on", on);
    $("enable").textContent = on ? "Layer on" : "Layer off";
    sendControl("enable", [on ? 1 : 0]);
  });
  $("model").addEventListener("change", () => {
    touched("model");
    sendControl("model", [$("model").value]);
  });
  $("undo-model").addEventListener("click", () => {
    S.localTouch.delete("model"); // the menu shows the model the undo brings back
    sendControl("undo/model", []);
  });
  for (const name of ["threshold", "noise", "timing"]) {
    let last = 0;
    let timer = null;
    const el = $(name);
    const push = () => {
      timer = null;
      last = performance.now();
      sendControl(name, [Number(el.value)]);
    };
    el.addEventListener("input", () => {
      touched(name);
      $(`${name}-v`).textContent = Number(el.value).toFixed(2);
      if (name === "threshold" && S.state) {
        const ls = layerState();
        if (ls) ls.threshold = Number(el.value); // the grid follows at once
      }
      const wait = SLIDER_INTERVAL_MS - (performance.now() - last);
      if (wait <= 0) push();
      else if (!timer) timer = setTimeout(push, wait);
    });
  }
  const sendVelocity = () => {
    touched("velocity");
    const mode = $("velocity-mode").value;
    $("fixed-velocity").disabled = mode !== "fixed";
    $("fixed-velocity-v").textContent = $("fixed-velocity").value;
    sendControl("velocity", mode === "fixed" ? ["fixed", Number($("fixed-velocity").value)] : ["model"]);
  };
  $("velocity-mode").addEventListener("change", sendVelocity);
  $("fixed-velocity").addEventListener("change", sendVelocity);
  $("fixed-velocity").addEventListener("input", () => {
    $("fixed-velocity-v").textContent = $("fixed-velocity").value;
  });
  wirePad();
  wireTraining();
}

