/* Shared state, constants and small helpers of the page (every other module imports from here). */

export const TICKS = 96;
export const TICKS_PER_BEAT = 24;
export const SEND_INTERVAL_MS = 16; // XY at most ~60 a second
export const SLIDER_INTERVAL_MS = 33;
export const GLIDE_MS = 70; // time constant of the XY glide towards the pointer
export const LOCAL_HOLD_MS = 600; // ignore the server's echo of a control the performer just moved
export const CHANNEL_COLOURS = ["#ff4d5e", "#3ddc84", "#4da3ff"];
export const CHANNEL_NAMES = ["red", "green", "blue"];

export const $ = (id) => document.getElementById(id);

// the token a server open to the network asks for (in the page's URL: carried on the WebSocket and uploads)
export const TOKEN = new URLSearchParams(location.search).get("token") || "";

// the page's state
export const S = {
  ws: null,
  session: sessionStorage.getItem("rvae-session") || "",
  welcome: null,
  controls: new Map(), // name ("xy", "threshold"...) → control table entry
  instruments: [],
  layerCount: 1,
  layer: 0,
  state: null,
  clock: { position: 0, bpm: 120, running: false, at: performance.now() },
  grid: null, // {model, n, data: Uint8Array, ticks, nInst, receivedAt}
  channels: [0, 1, 2], // instrument index shown as red, green, blue (-1: none)
  bars: new Map(), // layer → {bar_number, notes}
  xy: { x: 0.5, y: 0.5 }, // what the marker shows
  target: null, // pointer target while dragging / gliding
  dragging: false,
  lastXYSent: 0,
  sentXY: null,
  localTouch: new Map(), // control name → performance.now() of the last local change
  bytes: 0,
  messages: 0,
  frames: [],
  drawMs: 0,
  hold: null, // a tick to freeze the visualizer on (tests)
  view: "still", // the pad's view: "still" (what plays where) or "glow" (lit in time); see pad.js
  glow: 6, // ticks a lit point takes to fade (6 = a sixteenth note) in the glow view
  modelInfo: new Map(), // model name → {poor, warnings} (from "models" messages)
  lastTick: 0,
  training: [], // epoch updates of the current job
  trainingKept: 0, // the epoch the finished job kept (0: none yet)
  trainInfo: "",
  errors: [],
  motion: null, // each layer's point as played ([x, y], or null: the performer's own), from "motion" messages
  drawing: false, // the next drag on the pad draws a path
  drawn: null, // the points being drawn
  storing: false, // the next preset slot clicked stores
  encoded: null, // the points of the last clip dropped on the pad
};

export function control(name) {
  return S.controls.get(name) || null;
}
/* The OSC address of a control for a layer (0-based): /rvae/name for layer 1, /rvae/layer/N/name otherwise. */
export function address(name, layer) {
  const c = control(name);
  if (!c) return null;
  if (!c.layer_address || layer === 0) return c.address;
  return c.layer_address.replace("/N/", `/${layer + 1}/`);
}
/* [min, max] of a control's argument from the OSC table (a missing lo is 0). */
export function range(name, arg = 0) {
  const c = control(name);
  const a = c && c.args[arg];
  if (!a || a.hi === undefined) return null;
  return [a.lo === undefined ? 0 : a.lo, a.hi];
}
export function send(obj) {
  if (S.ws && S.ws.readyState === WebSocket.OPEN) S.ws.send(JSON.stringify(obj));
}
export function sendControl(name, args, layer = S.layer) {
  const addr = address(name, layer);
  if (addr === null) {
    toast(`control ${name} is not in the server's table`);
    return;
  }
  send({ type: "control", address: addr, args });
}
export function toast(text, kind = "error") {
  if (kind === "error") S.errors.push(text);
  const box = $("toasts");
  const el = document.createElement("div");
  el.className = `toast ${kind}`;
  el.textContent = text;
  box.appendChild(el);
  while (box.children.length > 4) box.removeChild(box.firstChild);
  setTimeout(() => el.classList.add("fade"), 3500);
  setTimeout(() => el.remove(), 4000);
}
export function position(now = performance.now()) {
  const c = S.clock;
  if (!c.running) return c.position;
  return c.position + ((now - c.at) / 1000) * (c.bpm * TICKS_PER_BEAT) / 60;
}
export function touched(name) {
  S.localTouch.set(name, performance.now());
}
export function recentlyTouched(name) {
  const t = S.localTouch.get(name);
  return t !== undefined && performance.now() - t < LOCAL_HOLD_MS;
}
export function layerState() {
  return S.state && S.state.layers ? S.state.layers[S.layer] : null;
}

