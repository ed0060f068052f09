/* The piano roll of the bar playing on the shown layer, with its playhead. */

import { $, CHANNEL_COLOURS, layerState, position, S, TICKS, TICKS_PER_BEAT } from "./state.js";
import { DRUM_GROUPS, GROUP_OF } from "./rules.js";

/* An instrument's colour: its drum group's (the pad's still view) or its glow channel's (else grey). */
function colourOf(inst, fallback) {
  if (S.view !== "glow") return DRUM_GROUPS[GROUP_OF[inst]] ? DRUM_GROUPS[GROUP_OF[inst]].hex : fallback;
  const ch = S.channels.indexOf(inst);
  return ch >= 0 ? CHANNEL_COLOURS[ch] : fallback;
}

const roll = $("roll");
const rollCtx = roll.getContext("2d", { alpha: false });
const rollCache = document.createElement("canvas");
const rollCacheCtx = rollCache.getContext("2d", { alpha: false });
let rollCacheBar = null;
let rollCacheKey = "";
let lastBarText = "";
const LABEL_W = 72; // CSS pixels of the instrument names
/* The piano roll without the playhead (redrawn only when the bar, layer, mutes or colours change). */
function drawRollCache(w, h, dpr, bar, ls) {
  const ctx = rollCacheCtx;
  ctx.fillStyle = "#05060a";
  ctx.fillRect(0, 0, w, h);
  const nInst = S.instruments.length || 9;
  const labelW = LABEL_W * dpr;
  const gw = w - labelW;
  const rowH = h / nInst;
  const tickW = gw / TICKS;
  // rows and grid lines (beats bright, sixteenths dim)
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  ctx.textBaseline = "middle";
  for (let k = 0; k < nInst; k++) {
    const y = (nInst - 1 - k) * rowH; // kick at the bottom
    ctx.fillStyle = k % 2 ? "#0b0d13" : "#090a0f";
    ctx.fillRect(labelW, y, gw, rowH);
    ctx.fillStyle = colourOf(k, "#8a93a6");
    ctx.fillText(S.instruments[k] ? S.instruments[k].name : String(k), 6 * dpr, y + rowH / 2);
  }
  for (let t = 0; t <= TICKS; t += 6) {
    ctx.fillStyle = t % 24 === 0 ? "#2d3444" : "#161a23";
    ctx.fillRect(labelW + t * tickW, 0, Math.max(1, dpr), h);
  }
  if (bar) {
    for (const [tick, inst, v127, mt100] of bar.notes) {
      const vel = v127 / 127; // velocity 0..1
      const mt = mt100 / 100; // microtiming in half-ticks
      const y = (nInst - 1 - inst) * rowH;
      const x = labelW + (tick + mt / 2) * tickW; // microtiming: half-ticks, positive = late
      const hh = Math.max(3 * dpr, (rowH - 4 * dpr) * vel); // height = velocity
      const base = colourOf(inst, "#c8ced9");
      const muted = ls && S.instruments[inst] && ls.mutes[S.instruments[inst].name];
      ctx.globalAlpha = muted ? 0.2 : 0.35 + 0.65 * vel; // brightness = velocity
      ctx.fillStyle = base;
      ctx.fillRect(x, y + rowH - 2 * dpr - hh, Math.max(2 * dpr, tickW * 0.9), hh);
      ctx.globalAlpha = 1;
      if (Math.abs(mt) > 0.05) {
        // a thin tick at the grid position, so the offset is visible
        ctx.fillStyle = "rgba(255,255,255,0.35)";
        ctx.fillRect(labelW + tick * tickW, y + rowH - 4 * dpr, Math.max(1, dpr), 3 * dpr);
      }
    }
  }
}

export function drawRoll(now) {
  const r = roll.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(100, Math.round(r.width * dpr));
  const h = Math.max(60, Math.round(r.height * dpr));
  if (roll.width !== w || roll.height !== h) {
    roll.width = w;
    roll.height = h;
  }
  const ls = layerState();
  const bar = S.bars.get(S.layer);
  const key = [w, h, S.layer, S.view, S.channels.join(), ls ? JSON.stringify(ls.mutes) : "", S.instruments.length];
  if (bar !== rollCacheBar || key.join("|") !== rollCacheKey) {
    rollCacheBar = bar;
    rollCacheKey = key.join("|");
    if (rollCache.width !== w || rollCache.height !== h) {
      rollCache.width = w;
      rollCache.height = h;
    }
    drawRollCache(w, h, dpr, bar, ls);
  }
  rollCtx.drawImage(rollCache, 0, 0);
  const labelW = LABEL_W * dpr;
  const tickW = (w - labelW) / TICKS;
  const ctx = rollCtx;
  // the playhead
  const p = position(now);
  const t = ((p % TICKS) + TICKS) % TICKS;
  ctx.fillStyle = "rgba(255,176,32,0.8)";
  ctx.fillRect(labelW + t * tickW, 0, 2 * dpr, h);
  const bars = Math.floor(Math.max(0, p) / TICKS);
  const text = `bar ${bars + 1} · beat ${Math.floor(t / TICKS_PER_BEAT) + 1}`;
  if (text !== lastBarText) {
    lastBarText = text;
    $("barpos").textContent = text;
  }
}

