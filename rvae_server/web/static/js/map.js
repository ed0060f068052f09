/* The map of the space: the training bars of the layer's model at their pad XY, coloured by style (mined and
 * bundled models) or per clip (a user model's clips, kind "clip"), the names at their centroids, the pad marker on
 * top (from GET /api/map?model=NAME, see rvae_server/web/mapdata.py). Hover a point: its source and bar; click: the
 * pad glides there (the same path as a click on the pad). A model with nothing to map gets, in the map's place,
 * the server's sentence saying what is missing: never an empty box. */

import { $, layerState, S, TOKEN } from "./state.js";

const canvas = $("map");
const ctx = canvas.getContext("2d");
const info = $("map-info");
const COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22",
  "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5"];
const M = { model: null, data: null, error: "", colours: [], hover: null, drawn: "" };

function load(model) {
  M.model = model;
  M.data = null;
  M.hover = null;
  M.error = "loading the map…";
  fetch(`/api/map?model=${encodeURIComponent(model)}`, { headers: TOKEN ? { "X-RVAE-Token": TOKEN } : {} })
    .then((r) => r.json())
    .then((d) => {
      if (M.model !== model) return;
      if (d.error || d.unavailable) {
        M.error = d.error || d.unavailable;
        info.textContent = M.error; // also in the map's place (drawMap)
        return;
      }
      const present = new Set(d.points.map((p) => p[2]));
      let k = 0;
      M.colours = d.styles.map((s, i) => (s === "other" || !present.has(i) ? "#7f7f7f" : COLOURS[k++ % COLOURS.length]));
      M.data = d;
      M.error = "";
      const what = d.kind === "clip" ? `coloured per clip (${d.styles.length})` : "coloured by style";
      info.textContent = `${d.count} training bars of ${d.source.split("/").pop()}, ${what}; hover a point, click to play it`;
    })
    .catch((e) => {
      if (M.model === model) M.error = `map: ${e}`;
    });
}

function size() {
  const r = canvas.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(60, Math.round(r.width * dpr));
  const h = Math.max(60, Math.round(r.height * dpr));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  return { w, h, dpr };
}
const toPx = (x, y, w, h) => [x * w, (1 - y) * h];

/* Redraw when the model, the data, the hover, the marker or the size changed. */
export function drawMap() {
  const ls = layerState();
  if (ls && ls.model && ls.model !== M.model) load(ls.model);
  const { w, h, dpr } = size();
  const key = `${M.model}|${!!M.data}|${M.error}|${M.hover ? M.hover[3] + ":" + M.hover[4] + ":" + M.hover[0] : ""}|${S.xy.x.toFixed(4)},${S.xy.y.toFixed(4)}|${w}x${h}`;
  if (key === M.drawn) return;
  M.drawn = key;
  ctx.fillStyle = "#05060a";
  ctx.fillRect(0, 0, w, h);
  if (!M.data) {
    ctx.fillStyle = "#c3c9d6";
    ctx.font = `${14 * dpr}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    const lines = wrap(M.error || (M.model ? "loading the map…" : "no model"), w - 32 * dpr);
    const lh = 20 * dpr;
    lines.forEach((line, k) => ctx.fillText(line, w / 2, h / 2 + (k - (lines.length - 1) / 2) * lh));
    return;
  }
  const d = M.data;
  const r = 2 * dpr;
  ctx.globalAlpha = 0.75;
  for (const p of d.points) {
    const [x, y] = toPx(p[0], p[1], w, h);
    ctx.fillStyle = M.colours[p[2]];
    ctx.fillRect(x - r, y - r, 2 * r, 2 * r);
  }
  ctx.globalAlpha = 1;
  ctx.font = `bold ${12 * dpr}px system-ui, sans-serif`;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (const [name, c] of Object.entries(d.centroids)) {
    const [x, y] = toPx(c[0], c[1], w, h);
    const tw = ctx.measureText(name).width;
    ctx.fillStyle = "rgba(7,8,11,0.8)";
    ctx.fillRect(x - tw / 2 - 4 * dpr, y - 9 * dpr, tw + 8 * dpr, 18 * dpr);
    ctx.fillStyle = M.colours[d.styles.indexOf(name)];
    ctx.fillText(name, x, y);
  }
  if (M.hover) {
    const [x, y] = toPx(M.hover[0], M.hover[1], w, h);
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 2 * dpr;
    ctx.beginPath();
    ctx.arc(x, y, 7 * dpr, 0, Math.PI * 2);
    ctx.stroke();
  }
  const [mx, my] = toPx(S.xy.x, S.xy.y, w, h);
  ctx.strokeStyle = "rgba(255,176,32,0.95)";
  ctx.lineWidth = 2.5 * dpr;
  ctx.beginPath();
  ctx.arc(mx, my, 9 * dpr, 0, Math.PI * 2);
  ctx.stroke();
}

/* The point nearest the pointer within 10 CSS pixels, or null. */
function nearest(ev) {
  if (!M.data) return null;
  const r = canvas.getBoundingClientRect();
  const px = ev.clientX - r.left;
  const py = ev.clientY - r.top;
  let best = null;
  let bd = 100;
  for (const p of M.data.points) {
    const [x, y] = toPx(p[0], p[1], r.width, r.height);
    const dd = (x - px) ** 2 + (y - py) ** 2;
    if (dd < bd) {
      bd = dd;
      best = p;
    }
  }
  return best;
}

export function describe(p) {
  const d = M.data;
  if (d.kind === "clip") return `${d.styles[p[2]]} · bar ${p[4]}`; // the clip's name and its bar
  return `${d.files[p[3]]} · bar ${p[4]} · ${d.styles[p[2]]}`;
}

/* ``text`` in lines no wider than ``width`` device pixels (the map's font). */
function wrap(text, width) {
  const lines = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    const next = line ? `${line} ${word}` : word;
    if (line && ctx.measureText(next).width > width) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

export function wireMap() {
  canvas.addEventListener("mousemove", (ev) => {
    M.hover = nearest(ev);
    if (M.hover) info.textContent = describe(M.hover);
  });
  canvas.addEventListener("mouseleave", () => {
    M.hover = null;
  });
  canvas.addEventListener("click", (ev) => {
    const p = nearest(ev);
    if (!p) return;
    S.target = { x: p[0], y: p[1] }; // the pad glides there and sends the XY (pad.js stepXY)
    info.textContent = `playing ${describe(p)}`;
  });
}

/* For tests: what the map holds, and the CSS pixel of a point (document coordinates). */
export function mapDebug() {
  return {
    model: M.model,
    points: M.data ? M.data.points.length : 0,
    error: M.error,
    hover: M.hover ? describe(M.hover) : null,
    info: info.textContent,
  };
}
export function mapPoint(index) {
  if (!M.data) return null;
  const p = M.data.points[index];
  const r = canvas.getBoundingClientRect();
  const [x, y] = toPx(p[0], p[1], r.width, r.height);
  return { x: r.left + x, y: r.top + y, xy: [p[0], p[1]], text: describe(p) };
}
