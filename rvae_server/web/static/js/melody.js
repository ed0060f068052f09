/* The melody layer: its controls (key, scale lock, family, octave, density, temperature, the drum layer it
 * follows, on/off) and a second piano roll of the melody bar playing, with the playhead.
 *
 * The server sends {type:"melody", bar_number, notes:[[tick, pitch, length, velocity]], enabled, layer, key,
 * family, octave, density, temperature, scale_lock} when a melody bar starts (bar_number -1 on connect), and
 * the melody's state as state.melody (null: no melody layer). Controls go out as the OSC addresses
 * /rvae/melody/... like every other control. */

import { $, position, recentlyTouched, S, sendControl, SLIDER_INTERVAL_MS, TICKS, touched } from "./state.js";

const KEY_NAMES = [
  "C major", "Db major", "D major", "Eb major", "E major", "F major", "F# major", "G major", "Ab major", "A major",
  "Bb major", "B major", "C minor", "C# minor", "D minor", "Eb minor", "E minor", "F minor", "F# minor", "G minor",
  "G# minor", "A minor", "Bb minor", "B minor",
];
const NOTE_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];
const COLOUR = "#ffb020";

const roll = $("melody-roll");
const ctx = roll.getContext("2d", { alpha: false });
const cache = document.createElement("canvas");
const cacheCtx = cache.getContext("2d", { alpha: false });
let cacheKey = "";

function fill(select, values, labels = values) {
  select.textContent = "";
  values.forEach((v, i) => {
    const o = document.createElement("option");
    o.value = String(v);
    o.textContent = labels[i];
    select.appendChild(o);
  });
}

/* After the welcome: build the menus from the server's control table. */
export function onMelodyWelcome(msg) {
  fill($("melody-key"), KEY_NAMES);
  const fam = S.controls.get("melody/family");
  fill($("melody-family"), fam ? fam.args[0].choices : []);
  const layers = [];
  for (let k = 1; k <= msg.layers; k++) layers.push(k);
  fill($("melody-layer"), layers, layers.map((k) => `layer ${k}`));
  for (const id of ["melody-key", "melody-family", "melody-layer", "melody-octave", "melody-lock", "melody-enable",
    "melody-density", "melody-temperature"]) $(id).disabled = !S.controls.get("melody/key");
}

/* The melody's state (from state messages): set the widgets the performer is not touching. */
export function onMelodyState(state) {
  const m = state.melody;
  S.melodyState = m || null;
  $("melody-unavailable").hidden = !!m;
  $("melody-body").hidden = !m;
  if (!m) return;
  const set = (id, value) => {
    if (!recentlyTouched(id)) $(id).value = String(value);
  };
  set("melody-key", m.key);
  set("melody-family", m.family);
  set("melody-octave", m.octave);
  set("melody-layer", m.layer + 1);
  set("melody-density", m.density);
  set("melody-temperature", m.temperature);
  $("melody-density-v").textContent = Number(m.density).toFixed(2);
  $("melody-temperature-v").textContent = Number(m.temperature).toFixed(2);
  if (!recentlyTouched("melody-lock")) $("melody-lock").checked = !!m.scale_lock;
  const on = $("melody-enable");
  on.classList.toggle("on", !!m.enabled);
  on.textContent = m.enabled ? "Melody on" : "Melody off";
  $("melody-title").textContent = `${m.family} in ${m.key}, following layer ${m.layer + 1}, channel ${m.channel}`;
}

export function onMelody(msg) {
  S.melody = msg;
}

function throttled(name, id, read) {
  let last = 0;
  let timer = null;
  const el = $(id);
  const out = () => {
    last = performance.now();
    timer = null;
    touched(id);
    sendControl(name, [read(el)], 0);
  };
  el.addEventListener("input", () => {
    const v = read(el);
    if ($(`${id}-v`)) $(`${id}-v`).textContent = v.toFixed(2);
    if (timer === null) timer = setTimeout(out, Math.max(0, SLIDER_INTERVAL_MS - (performance.now() - last)));
  });
}

export function wireMelody() {
  const change = (id, name, read) => {
    $(id).addEventListener("change", () => {
      touched(id);
      sendControl(name, [read($(id))], 0);
    });
  };
  change("melody-key", "melody/key", (el) => el.value);
  change("melody-family", "melody/family", (el) => el.value);
  change("melody-octave", "melody/octave", (el) => Math.round(Number(el.value)));
  change("melody-layer", "melody/layer", (el) => Number(el.value));
  change("melody-lock", "melody/scale-lock", (el) => (el.checked ? 1 : 0));
  throttled("melody/density", "melody-density", (el) => Number(el.value));
  throttled("melody/temperature", "melody-temperature", (el) => Number(el.value));
  $("melody-enable").addEventListener("click", () => {
    const m = S.melodyState;
    if (m) sendControl("melody/enable", [m.enabled ? 0 : 1], 0);
  });
}

function drawCache(w, h, dpr, msg) {
  const c = cacheCtx;
  c.fillStyle = "#05060a";
  c.fillRect(0, 0, w, h);
  const notes = msg && msg.notes ? msg.notes : [];
  let lo = 60;
  let hi = 72;
  if (notes.length) {
    lo = Math.min(...notes.map((n) => n[1])) - 2;
    hi = Math.max(...notes.map((n) => n[1])) + 2;
  }
  const rows = Math.max(12, hi - lo + 1);
  lo = Math.floor((lo + hi) / 2 - rows / 2);
  const labelW = 96 * dpr;
  const gw = w - labelW;
  const rowH = h / rows;
  const tickW = gw / TICKS;
  c.font = `${Math.min(12, rowH / dpr) * dpr}px system-ui, sans-serif`;
  c.textBaseline = "middle";
  for (let r = 0; r < rows; r++) {
    const pitch = lo + r;
    const y = h - (r + 1) * rowH;
    const black = [1, 3, 6, 8, 10].includes(((pitch % 12) + 12) % 12);
    c.fillStyle = black ? "#07080c" : "#0b0d13";
    c.fillRect(labelW, y, gw, rowH);
    if (pitch % 12 === 0 || rows <= 16) {
      c.fillStyle = "#8a93a6";
      c.fillText(`${NOTE_NAMES[((pitch % 12) + 12) % 12]}${Math.floor(pitch / 12) - 1}`, 8 * dpr, y + rowH / 2);
    }
  }
  for (let t = 0; t <= TICKS; t += 6) {
    c.fillStyle = t % 24 === 0 ? "#2d3444" : "#161a23";
    c.fillRect(labelW + t * tickW, 0, Math.max(1, dpr), h);
  }
  for (const [tick, pitch, length, velocity] of notes) {
    const y = h - (pitch - lo + 1) * rowH;
    c.globalAlpha = 0.35 + 0.65 * (velocity / 127);
    c.fillStyle = COLOUR;
    c.fillRect(labelW + tick * tickW, y + 1, Math.max(2 * dpr, length * tickW - dpr), Math.max(2, rowH - 2));
    c.globalAlpha = 1;
  }
}

export function drawMelody(now) {
  if ($("melody-body").hidden) return;
  const r = roll.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(100, Math.round(r.width * dpr));
  const h = Math.max(60, Math.round(r.height * dpr));
  if (roll.width !== w || roll.height !== h) {
    roll.width = w;
    roll.height = h;
  }
  const msg = S.melody;
  const key = `${w}|${h}|${msg ? msg.bar_number : ""}|${msg ? JSON.stringify(msg.notes) : ""}`;
  if (key !== cacheKey) {
    cacheKey = key;
    if (cache.width !== w || cache.height !== h) {
      cache.width = w;
      cache.height = h;
    }
    drawCache(w, h, dpr, msg);
  }
  ctx.drawImage(cache, 0, 0);
  const labelW = 96 * dpr;
  const p = position(now);
  const t = ((p % TICKS) + TICKS) % TICKS;
  ctx.fillStyle = "rgba(255,176,32,0.8)";
  ctx.fillRect(labelW + t * ((w - labelW) / TICKS), 0, 2 * dpr, h);
}
