/* Playing the space: LFOs, path, gesture loop, swing, densities, presets with morph, follow, capture; the point as
 * played (a second marker) and the trail of a clip dropped on the pad. Every control is an OSC address of the
 * server's table (sent with sendControl); the panel follows the state the server sends. The essentials — an LFO
 * on/off per axis and the preset buttons — sit in the play column, always in view (#motion-essentials); LFOs, path
 * and gesture loop are the Motion tab (#motion-body); swing, densities, follow and capture the Shape tab
 * (#shape-body). */

import { $, layerState, recentlyTouched, S, send, sendControl, SLIDER_INTERVAL_MS, toast, touched } from "./state.js";

const LFO_TARGETS = ["x", "y", "threshold", "noise"];
const LFO_LABELS = { threshold: "thr" };
const SHAPES = ["sine", "triangle", "saw", "square", "random-smooth", "random-step"];
const RATES = ["1/16", "1/8t", "1/8", "1/8d", "1/4t", "1/4", "1/4d", "1/2", "1", "2", "4", "8", "16", "32", "64"];
const MORPHS = [["at once", 0, "beats"], ["1 beat", 1, "beats"], ["2 beats", 2, "beats"], ["1 bar", 1, "bars"],
  ["2 bars", 2, "bars"], ["4 bars", 4, "bars"]];

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}
function select(id, options, label) {
  const s = el("select", { id, "aria-label": label });
  for (const o of options) s.add(Array.isArray(o) ? new Option(o[0], o[1]) : new Option(o, o));
  return s;
}
function range(id, min, max, step, value, label) {
  return el("input", { id, type: "range", min, max, step, value, "aria-label": label });
}
/* Send at most every SLIDER_INTERVAL_MS while a slider moves (the last value always goes). */
function throttled(fn) {
  let last = 0;
  let timer = null;
  return () => {
    const wait = SLIDER_INTERVAL_MS - (performance.now() - last);
    const go = () => { timer = null; last = performance.now(); fn(); };
    if (wait <= 0) go();
    else if (!timer) timer = setTimeout(go, wait);
  };
}

/* Rate text as the server stores it (bars per cycle) → the nearest choice of the menu. */
function rateText(bars) {
  let best = RATES[0];
  for (const r of RATES) {
    if (Math.abs(rateBars(r) - bars) < Math.abs(rateBars(best) - bars)) best = r;
  }
  return best;
}
function rateBars(text) {
  const m = /^(\d+)(?:\/(\d+))?([dt])?$/.exec(text);
  let v = Number(m[1]) / (m[2] ? Number(m[2]) : 1);
  if (m[3] === "d") v *= 1.5;
  if (m[3] === "t") v *= 2 / 3;
  return v;
}

/* The motion essentials in the play column: an LFO on/off per axis (on: the shape, rate and depth chosen in the
 * Motion tab, a sine if none), the preset slots with Store and the morph time. */
function buildEssentials() {
  const box = $("motion-essentials");
  box.textContent = "";
  const lfoRow = el("div", { class: "row" });
  for (const t of ["x", "y"]) {
    const b = el("button", { id: `lfo-${t}-on`, text: `LFO ${t.toUpperCase()}`, title: `an LFO moving ${t} (Motion tab: its shape, rate, depth)` });
    b.addEventListener("click", () => {
      const ls = layerState();
      const on = !(ls && ls.lfo && ls.lfo[t]);
      b.classList.toggle("on", on);
      touched(`lfo/${t}`);
      if (!on) return sendControl(`lfo/${t}`, ["off"]);
      const shape = $(`lfo-${t}-shape`);
      if (shape && shape.value === "off") shape.value = "sine";
      sendControl(`lfo/${t}`, [shape ? shape.value : "sine", $(`lfo-${t}-rate`) ? $(`lfo-${t}-rate`).value : "1",
        Number($(`lfo-${t}-depth`) ? $(`lfo-${t}-depth`).value : 0.2), Number($(`lfo-${t}-phase`) ? $(`lfo-${t}-phase`).value : 0)]);
    });
    lfoRow.append(b);
  }
  const morph = select("morph", MORPHS.map((m, i) => [m[0], String(i)]), "morph time");
  morph.value = "3";
  const store = el("button", { id: "preset-store", text: "Store", title: "then click a slot to keep the layer's settings there" });
  store.addEventListener("click", () => { S.storing = !S.storing; store.classList.toggle("on", S.storing); });
  lfoRow.append(store, el("label", { text: "morph" }, morph));
  const slots = el("div", { id: "presets", class: "presets", "aria-label": "presets" });
  for (let k = 1; k <= 16; k++) {
    const b = el("button", { text: String(k) });
    b.dataset.slot = String(k);
    b.addEventListener("click", () => {
      if (S.storing) {
        sendControl("preset/store", [k]);
        S.storing = false;
        store.classList.remove("on");
      } else {
        const [, time, u] = MORPHS[Number(morph.value)];
        sendControl("preset/recall", [k, time, u]);
      }
    });
    slots.append(b);
  }
  box.append(lfoRow, slots);
}

export function buildMotion() {
  buildEssentials();
  const box = $("motion-body");
  box.textContent = "";
  // LFOs
  const lfos = el("div", { class: "motion-grid" });
  for (const t of LFO_TARGETS) {
    const shape = select(`lfo-${t}-shape`, ["off", ...SHAPES], `LFO on ${t}: shape`);
    const rate = select(`lfo-${t}-rate`, RATES, `LFO on ${t}: bars per cycle`);
    rate.value = "1";
    const depth = range(`lfo-${t}-depth`, 0, 1, 0.01, 0.2, `LFO on ${t}: depth`);
    const phase = range(`lfo-${t}-phase`, 0, 1, 0.01, 0, `LFO on ${t}: phase`);
    const push = () => {
      touched(`lfo/${t}`);
      if (shape.value === "off") sendControl(`lfo/${t}`, ["off"]);
      else sendControl(`lfo/${t}`, [shape.value, rate.value, Number(depth.value), Number(phase.value)]);
    };
    const slide = throttled(push);
    shape.addEventListener("change", push);
    rate.addEventListener("change", push);
    depth.addEventListener("input", slide);
    phase.addEventListener("input", slide);
    lfos.append(el("label", { text: `LFO ${LFO_LABELS[t] || t}` }), shape, rate, depth, phase);
  }
  // path
  const path = select("path-shape", ["off", "circle", "eight", "drawn"], "path");
  const pathBars = select("path-bars", ["1", "2", "4", "8", "16"], "bars per trip");
  pathBars.value = "4";
  const pathSize = range("path-size", 0, 0.5, 0.01, 0.2, "path size");
  const draw = el("button", { id: "path-draw", text: "Draw", title: "the next drag on the pad draws a path" });
  const pushPath = () => {
    touched("path");
    if (path.value === "off") return sendControl("path", ["off"]);
    if (path.value === "drawn" && !(layerState() && layerState().path && layerState().path.points)) {
      return toast("draw a path on the pad first (Draw, then drag)", "note");
    }
    sendControl("path", [path.value, Number(pathBars.value), Number(pathSize.value)]);
  };
  path.addEventListener("change", pushPath);
  pathBars.addEventListener("change", pushPath);
  pathSize.addEventListener("input", throttled(pushPath));
  draw.addEventListener("click", () => {
    S.drawing = !S.drawing;
    draw.classList.toggle("on", S.drawing);
  });
  lfos.append(el("label", { text: "Path" }), path, pathBars, pathSize, draw);
  // gesture loop
  const gBars = select("gesture-bars", ["1", "2", "4", "8"], "gesture loop bars");
  gBars.value = "2";
  const rec = el("button", { id: "gesture-record", text: "Record" });
  const dub = el("button", { id: "gesture-overdub", text: "Overdub" });
  const clear = el("button", { id: "gesture-clear", text: "Clear" });
  rec.addEventListener("click", () => sendControl("gesture/record", [Number(gBars.value)]));
  dub.addEventListener("click", () => sendControl("gesture/overdub", []));
  clear.addEventListener("click", () => sendControl("gesture/clear", []));
  lfos.append(el("label", { text: "Gesture" }), gBars, rec, dub, clear);
  box.append(lfos);
  buildShaping($("shape-body"));
}

/* The Shape tab: swing, densities, follow and capture. */
function buildShaping(box) {
  box.textContent = "";
  // swing and densities
  const swing = range("swing", 50, 75, 0.5, 50, "swing percent");
  const unit = select("swing-unit", [["16ths", "16"], ["8ths", "8"]], "swing on");
  const pushSwing = () => { touched("swing"); $("swing-v").textContent = `${swing.value}%`; sendControl("swing", [Number(swing.value), Number(unit.value)]); };
  swing.addEventListener("input", throttled(pushSwing));
  unit.addEventListener("change", pushSwing);
  box.append(el("div", { class: "slider-row" }, el("label", { text: "Swing" }), swing, el("output", { id: "swing-v", text: "50%" })),
    el("div", { class: "train-row" }, el("label", { text: "on" }, unit)));
  const dens = el("div", { id: "densities", class: "densities" });
  for (const inst of S.instruments) {
    const r = range(`density-${inst.name}`, -0.5, 0.5, 0.01, 0, `density of ${inst.name}`);
    r.dataset.name = inst.name;
    r.addEventListener("input", throttled(() => { touched(`density-${inst.name}`); sendControl("density", [inst.name, Number(r.value)]); }));
    dens.append(el("label", { text: inst.name }, r));
  }
  box.append(el("h3", { text: "Density" }), dens);
  // follow and capture
  const follow = el("button", { id: "follow", text: "Follow" });
  const minOn = el("input", { id: "follow-min", type: "number", min: 1, max: 64, value: 4, "aria-label": "least onsets to follow" });
  follow.addEventListener("click", () => {
    const ls = layerState();
    const on = !(ls && ls.follow && ls.follow.on);
    follow.classList.toggle("on", on);
    touched("follow");
    sendControl("follow", [on ? 1 : 0, Number(minOn.value)]);
  });
  const capBars = select("capture-bars", ["1", "2", "4", "8", "16", "32"], "bars to capture");
  capBars.value = "8";
  const capName = el("input", { id: "capture-name", type: "text", value: "take", maxlength: 64, "aria-label": "capture file name" });
  const cap = el("button", { id: "capture", text: "Capture last bars" });
  cap.addEventListener("click", () => send({ type: "capture", bars: Number(capBars.value), name: capName.value.trim() }));
  box.append(el("h3", { text: "Follow and capture" }),
    el("div", { class: "train-row" }, follow, el("label", { text: "min onsets" }, minOn), capBars, capName, cap),
    el("p", { id: "motion-status", class: "hint" }));
}

/* What the state sets in the panel (a control the performer just moved keeps its local value). */
export function onMotionState() {
  const ls = layerState();
  if (!ls || !ls.lfo || !$("lfo-x-shape")) return;
  for (const t of ["x", "y"]) {
    if (!recentlyTouched(`lfo/${t}`)) $(`lfo-${t}-on`).classList.toggle("on", !!ls.lfo[t]);
  }
  for (const t of LFO_TARGETS) {
    if (recentlyTouched(`lfo/${t}`)) continue;
    const lfo = ls.lfo[t];
    $(`lfo-${t}-shape`).value = lfo ? lfo.shape : "off";
    if (lfo) {
      $(`lfo-${t}-rate`).value = rateText(lfo.rate);
      $(`lfo-${t}-depth`).value = lfo.depth;
      $(`lfo-${t}-phase`).value = lfo.phase;
    }
  }
  if (!recentlyTouched("path")) $("path-shape").value = ls.path ? ls.path.shape : "off";
  if (!recentlyTouched("swing")) {
    $("swing").value = ls.swing.amount;
    $("swing-unit").value = String(ls.swing.unit);
    $("swing-v").textContent = `${ls.swing.amount}%`;
  }
  for (const r of $("densities").querySelectorAll("input")) {
    if (!recentlyTouched(`density-${r.dataset.name}`)) r.value = ls.densities[r.dataset.name];
  }
  for (const b of $("presets").children) b.classList.toggle("stored", !!ls.presets[Number(b.dataset.slot) - 1]);
  if (!recentlyTouched("follow")) $("follow").classList.toggle("on", ls.follow.on);
  $("gesture-overdub").classList.toggle("on", ls.gesture.overdub);
  $("gesture-record").classList.toggle("on", ls.gesture.state === "recording" || ls.gesture.state === "armed");
  $("motion-status").textContent = `loop: ${ls.gesture.state}${ls.gesture.bars ? ` (${ls.gesture.bars} bars)` : ""}` +
    (ls.morphing ? " · morphing" : "") + (ls.follow.on ? " · following" : "");
}

export function onMotionMessage(msg) {
  if (msg.type === "motion") S.motion = msg.layers;
  else if (msg.type === "captured") {
    $("motion-status").textContent = `captured ${msg.notes} notes to ${msg.path}`;
    toast(`captured ${msg.notes} notes to ${msg.path}`, "note");
  }
}

/* The point as played (when something moves it) and the trail of a clip placed on the pad. */
export function drawMotion(ctx, toPx, r, dpr) {
  const ls = layerState();
  if (ls && ls.trail && ls.trail.length) {
    ctx.strokeStyle = "rgba(77,163,255,0.6)";
    ctx.fillStyle = "rgba(77,163,255,0.9)";
    ctx.lineWidth = 2 * dpr;
    ctx.beginPath();
    ls.trail.forEach(([x, y], i) => { const p = toPx(x, y); if (i) ctx.lineTo(p.x, p.y); else ctx.moveTo(p.x, p.y); });
    ctx.stroke();
    for (const [x, y] of ls.trail) { const p = toPx(x, y); ctx.beginPath(); ctx.arc(p.x, p.y, 3 * dpr, 0, Math.PI * 2); ctx.fill(); }
  }
  if (S.drawn && S.drawn.length > 1) {
    ctx.strokeStyle = "rgba(61,220,132,0.8)";
    ctx.beginPath();
    S.drawn.forEach(([x, y], i) => { const p = toPx(x, y); if (i) ctx.lineTo(p.x, p.y); else ctx.moveTo(p.x, p.y); });
    ctx.stroke();
  }
  const now = S.motion && S.motion[S.layer];
  if (now && S.clock.running) {
    const p = toPx(now[0], now[1]);
    ctx.lineWidth = 2 * dpr;
    ctx.strokeStyle = "rgba(77,220,255,0.95)";
    ctx.beginPath();
    ctx.arc(p.x, p.y, r * 0.6, 0, Math.PI * 2);
    ctx.stroke();
  }
}

/* A path drawn on the pad (Draw, then drag): sent as the layer's drawn path (at most 64 points). */
export function finishDrawing() {
  const pts = S.drawn || [];
  S.drawing = false;
  $("path-draw").classList.remove("on");
  if (pts.length < 2) return;
  const step = Math.max(1, Math.ceil(pts.length / 64));
  const kept = pts.filter((_, i) => i % step === 0);
  const text = kept.map(([x, y]) => `${x.toFixed(3)},${y.toFixed(3)}`).join(" ");
  $("path-shape").value = "drawn";
  touched("path");
  sendControl("path", ["drawn", Number($("path-bars").value), Number($("path-size").value), text]);
}

/* A MIDI clip dropped on the pad: the server encodes it with the layer's model; the pad jumps there. */
export async function encodeDropped(file) {
  if (!/\.midi?$/i.test(file.name)) return toast(`${file.name}: drop a .mid clip on the pad`);
  try {
    const res = await fetch(`/api/encode?layer=${S.layer}&name=${encodeURIComponent(file.name)}`, {
      method: "POST", body: file, headers: { "X-RVAE-Session": S.session } });
    const body = await res.json();
    if (!res.ok) return toast(body.error || `encoding failed (${res.status})`);
    S.encoded = body.points;
    toast(`${file.name}: ${body.points.length} bar(s) placed on the pad`, "note");
  } catch (err) {
    toast(`encoding failed: ${err}`);
  }
}
