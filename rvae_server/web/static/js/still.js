/* The pad's still picture (its default view): what plays where. Each grid point is drawn from its decoded bar —
 * its size the bar's onsets (area ∝ onsets, the busiest point the largest), its colour the mix of kick, snare,
 * hats, toms and cymbals (DRUM_GROUPS of rules.js) weighted by their onsets; a point that plays nothing is a small
 * grey dot. Onsets follow the layer's threshold and mutes, as the time-glow view lights them (pad.js): the
 * probability byte ≥ ceil(threshold × 255). The same rule as rvae_server/core/drumgroups.py, which draws the same
 * picture for `rvae map MODEL --pad out.png`. Drawn once per grid, threshold and mutes, then reused every frame. */

import { DRUM_GROUPS, GROUP_OF, SILENT } from "./rules.js";
import { layerState, S } from "./state.js";

const image = document.createElement("canvas");
const imageCtx = image.getContext("2d");
let key = "";
let summary = null; // {totals: Int32Array, colours: [[r, g, b]], top}

/* Each point's group onsets, total and colour (the grid's bytes at the layer's threshold and mutes). */
export function stillSummary() {
  const g = S.grid;
  if (!g) return null;
  const ls = layerState();
  const thr = ls ? ls.threshold : 0.5;
  const cut = Math.ceil(thr * 255 - 1e-6);
  const P = g.n * g.n;
  const groups = DRUM_GROUPS.length;
  const counts = new Int32Array(P * groups);
  const d = g.data;
  for (let k = 0; k < g.nInst; k++) {
    const name = S.instruments[k] ? S.instruments[k].name : null;
    if (ls && name && ls.mutes[name]) continue;
    const grp = GROUP_OF[k];
    for (let t = 0; t < g.ticks; t++) {
      const base = (t * g.nInst + k) * P;
      for (let p = 0; p < P; p++) if (d[base + p] >= cut) counts[p * groups + grp] += 1;
    }
  }
  const totals = new Int32Array(P);
  const colours = [];
  let top = 0;
  for (let p = 0; p < P; p++) {
    let total = 0;
    const mix = [0, 0, 0];
    for (let q = 0; q < groups; q++) {
      const c = counts[p * groups + q];
      total += c;
      for (let i = 0; i < 3; i++) mix[i] += c * DRUM_GROUPS[q].colour[i];
    }
    totals[p] = total;
    top = Math.max(top, total);
    colours.push(total ? mix.map((v) => Math.round(v / total)) : SILENT.slice());
  }
  return { totals, colours, top, counts, groups };
}

/* The still picture at w × h device pixels (cached). Grid point p = row * n + col, row = y (drawn upwards). */
export function stillImage(w, h) {
  const g = S.grid;
  const ls = layerState();
  const k = [g ? g.receivedAt : "", w, h, ls ? ls.threshold : "", ls ? JSON.stringify(ls.mutes) : ""].join("|");
  if (k === key) return image;
  key = k;
  summary = stillSummary();
  if (image.width !== w || image.height !== h) {
    image.width = w;
    image.height = h;
  }
  const ctx = imageCtx;
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, w, h);
  if (!summary) return image;
  const n = g.n;
  const cw = w / n;
  const ch = h / n;
  const full = Math.min(cw, ch) * 0.48;
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      const p = row * n + col;
      const total = summary.totals[p];
      const [r, gg, b] = summary.colours[p];
      const radius = total ? Math.max(full * 0.22, full * Math.sqrt(total / summary.top)) : full * 0.12;
      ctx.fillStyle = `rgb(${r},${gg},${b})`;
      ctx.beginPath();
      ctx.arc((col + 0.5) * cw, (n - 1 - row + 0.5) * ch, radius, 0, Math.PI * 2);
      ctx.fill();
    }
  }
  return image;
}

/* For tests and the legend: the busiest point's onsets, and a point's total and colour. */
export function stillDebug(row, col) {
  if (!summary || !S.grid) return null;
  const p = row * S.grid.n + col;
  return { top: summary.top, total: summary.totals[p], colour: summary.colours[p] };
}
export function stillTop() {
  return summary ? summary.top : 0;
}
