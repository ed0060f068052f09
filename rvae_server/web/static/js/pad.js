/* The XY pad: the visualizer and the performer's marker. Two views (S.view): "still" (the default: what plays where,
 * each point drawn from its decoded bar, still.js) and "glow" (the grid of points lit with their rhythms, in time,
 * three instruments in red, green and blue). The choice is remembered per browser (localStorage "rvae-pad-view"). */

import { $, GLIDE_MS, layerState, position, S, SEND_INTERVAL_MS, sendControl, TICKS, touched } from "./state.js";
import { drawMotion, encodeDropped, finishDrawing } from "./motion.js";
import { stillImage } from "./still.js";

const VIEW_KEY = "rvae-pad-view";
/* The pad's view: "still" or "glow"; remembered unless told not to. */
export function setView(view, remember = true) {
  S.view = view === "glow" ? "glow" : "still";
  if (remember) {
    try {
      localStorage.setItem(VIEW_KEY, S.view);
    } catch (err) {
      // not remembered
    }
  }
  return S.view;
}
export function storedView() {
  try {
    return localStorage.getItem(VIEW_KEY) || "still";
  } catch (err) {
    return "still";
  }
}

const pad = $("pad");
const padCtx = pad.getContext("2d", { alpha: false });
const small = document.createElement("canvas");
const smallCtx = small.getContext("2d");
let smallImage = null;
let mask = null;

export function gridN() {
  return S.grid ? S.grid.n : (S.welcome ? S.welcome.grid_size : 30);
}
/* pad (x, y) in [0,1]² ↔ CSS pixels of the canvas: grid point j sits at the centre of column j. */
export function padToCss(x, y) {
  const r = pad.getBoundingClientRect();
  const n = gridN();
  return { x: ((x * (n - 1) + 0.5) / n) * r.width, y: (1 - (y * (n - 1) + 0.5) / n) * r.height };
}
export function cssToPad(px, py) {
  const r = pad.getBoundingClientRect();
  const n = gridN();
  const clamp = (v) => Math.min(1, Math.max(0, v));
  return { x: clamp(((px / r.width) * n - 0.5) / (n - 1)), y: clamp(((1 - py / r.height) * n - 0.5) / (n - 1)) };
}

export function resizePad() {
  const r = pad.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(60, Math.round(r.width * dpr));
  const h = Math.max(60, Math.round(r.height * dpr));
  const n = gridN();
  if (pad.width !== w || pad.height !== h || !mask || mask.n !== n) {
    pad.width = w;
    pad.height = h;
    mask = makeMask(w, h, n);
  }
  if (small.width !== n) {
    small.width = n;
    small.height = n;
    smallImage = smallCtx.createImageData(n, n);
  }
}
/* Dark everywhere except a round hole over each grid point: the scaled grid image shows through as dots. */
function makeMask(w, h, n) {
  const c = document.createElement("canvas");
  c.width = w;
  c.height = h;
  const ctx = c.getContext("2d");
  ctx.fillStyle = "#0b0d12";
  ctx.fillRect(0, 0, w, h);
  ctx.globalCompositeOperation = "destination-out";
  const cw = w / n;
  const ch = h / n;
  const rad = Math.min(cw, ch) * 0.4;
  ctx.beginPath();
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      ctx.moveTo((j + 0.5) * cw + rad, (i + 0.5) * ch);
      ctx.arc((j + 0.5) * cw, (i + 0.5) * ch, rad, 0, Math.PI * 2);
    }
  }
  ctx.fill();
  c.n = n;
  return c;
}

function currentTick(now) {
  if (S.hold !== null) return S.hold;
  const p = position(now);
  return ((Math.floor(p) % TICKS) + TICKS) % TICKS;
}

/* Brightness of a probability byte: sqrt, so a point just above a low threshold is still clearly lit. */
const LUT = new Uint8Array(256);
for (let v = 0; v < 256; v++) LUT[v] = Math.round(255 * Math.sqrt(v / 255));

/* The colour of every grid point at a tick: channel c shows instrument S.channels[c]. A point is lit where
 * the probability byte v (= round(probability × 255)) is ≥ the threshold and the instrument is not muted,
 * with brightness LUT[v]; lit ticks fade over S.glow ticks (the brightest of LUT[v(t - j)] × (1 - j / glow),
 * j = 0..glow-1), so a one-tick onset stays visible; glow 0 or 1 shows the tick alone. Else 0 (dark). */
function drawGrid(tick) {
  const g = S.grid;
  const n = g.n;
  const P = n * n;
  const px = smallImage.data;
  const ls = layerState();
  const thr = ls ? ls.threshold : 0.5;
  const cut = Math.ceil(thr * 255 - 1e-6); // v/255 ≥ threshold ⇔ v ≥ cut
  const glow = Math.max(1, S.glow);
  const offs = [];
  for (let c = 0; c < 3; c++) {
    const inst = S.channels[c];
    const name = inst >= 0 && inst < S.instruments.length ? S.instruments[inst].name : null;
    const muted = inst < 0 || inst >= g.nInst || (ls && ls.mutes[name]);
    const rows = [];
    if (!muted) {
      for (let j = 0; j < glow; j++) {
        const t = (((tick - j) % g.ticks) + g.ticks) % g.ticks;
        rows.push([(t * g.nInst + inst) * P, 1 - j / glow]);
      }
    }
    offs.push(rows);
  }
  const d = g.data;
  for (let i = 0; i < n; i++) {
    const row = n - 1 - i; // y grows upwards
    for (let j = 0; j < n; j++) {
      const p = i * n + j;
      const o = (row * n + j) * 4;
      for (let c = 0; c < 3; c++) {
        const rows = offs[c];
        let best = 0;
        for (let k = 0; k < rows.length; k++) {
          const v = d[rows[k][0] + p];
          if (v >= cut) {
            const b = Math.round(LUT[v] * rows[k][1]);
            if (b > best) best = b;
          }
        }
        px[o + c] = best;
      }
      px[o + 3] = 255;
    }
  }
  smallCtx.putImageData(smallImage, 0, 0);
}

export function drawPad(now) {
  resizePad();
  const w = pad.width;
  const h = pad.height;
  const tick = currentTick(now);
  S.lastTick = tick;
  padCtx.fillStyle = "#000";
  padCtx.fillRect(0, 0, w, h);
  if (S.view === "glow") {
    if (S.grid && smallImage) {
      drawGrid(tick);
      padCtx.imageSmoothingEnabled = false;
      padCtx.drawImage(small, 0, 0, w, h);
    }
    if (mask) padCtx.drawImage(mask, 0, 0);
  } else if (S.grid) {
    padCtx.drawImage(stillImage(w, h), 0, 0);
  }
  // the marker
  const dpr = w / pad.getBoundingClientRect().width;
  const m = padToCss(S.xy.x, S.xy.y);
  const mx = m.x * dpr;
  const my = m.y * dpr;
  const r = (w / gridN()) * 1.1;
  padCtx.lineWidth = 3 * dpr;
  padCtx.strokeStyle = "rgba(255,176,32,0.95)";
  padCtx.beginPath();
  padCtx.arc(mx, my, r, 0, Math.PI * 2);
  padCtx.stroke();
  padCtx.lineWidth = 1 * dpr;
  padCtx.strokeStyle = "rgba(255,176,32,0.45)";
  padCtx.beginPath();
  padCtx.moveTo(mx, 0);
  padCtx.lineTo(mx, my - r);
  padCtx.moveTo(mx, my + r);
  padCtx.lineTo(mx, h);
  padCtx.moveTo(0, my);
  padCtx.lineTo(mx - r, my);
  padCtx.moveTo(mx + r, my);
  padCtx.lineTo(w, my);
  padCtx.stroke();
  drawMotion(padCtx, (x, y) => { const p = padToCss(x, y); return { x: p.x * dpr, y: p.y * dpr }; }, r, dpr);
  if (!S.grid) {
    padCtx.fillStyle = "#8a93a6";
    padCtx.font = `${16 * dpr}px system-ui, sans-serif`;
    padCtx.textAlign = "center";
    padCtx.fillText("decoding the grid…", w / 2, h / 2);
  }
}

export function wirePad() {
  const at = (ev) => {
    const r = pad.getBoundingClientRect();
    return cssToPad(ev.clientX - r.left, ev.clientY - r.top);
  };
  pad.addEventListener("pointerdown", (ev) => {
    pad.setPointerCapture(ev.pointerId);
    ev.preventDefault();
    if (S.drawing) {
      const p = at(ev);
      S.drawn = [[p.x, p.y]];
      return;
    }
    S.dragging = true;
    S.target = at(ev);
    sendControl("touch", [1]); // the hand plays over a gesture loop until released
  });
  pad.addEventListener("pointermove", (ev) => {
    if (S.drawing && S.drawn) {
      const p = at(ev);
      S.drawn.push([p.x, p.y]);
    } else if (S.dragging) S.target = at(ev);
  });
  const up = () => {
    if (S.drawing && S.drawn) {
      finishDrawing();
      return;
    }
    if (S.dragging) sendControl("touch", [0]);
    S.dragging = false;
  };
  pad.addEventListener("dragover", (ev) => ev.preventDefault());
  pad.addEventListener("drop", (ev) => {
    ev.preventDefault();
    for (const f of ev.dataTransfer.files) encodeDropped(f);
  });
  pad.addEventListener("pointerup", up);
  pad.addEventListener("pointercancel", up);
  window.addEventListener("resize", resizePad);
}

/* Glide the marker towards the pointer (exponential, GLIDE_MS) and send it at most every SEND_INTERVAL_MS. */
export function stepXY(now, dt) {
  if (!S.target) return;
  const k = 1 - Math.exp(-dt / GLIDE_MS);
  const dx = S.target.x - S.xy.x;
  const dy = S.target.y - S.xy.y;
  const arrived = Math.abs(dx) < 0.002 && Math.abs(dy) < 0.002;
  S.xy = arrived ? { ...S.target } : { x: S.xy.x + dx * k, y: S.xy.y + dy * k };
  const changed = !S.sentXY || S.sentXY.x !== S.xy.x || S.sentXY.y !== S.xy.y;
  if (changed && now - S.lastXYSent >= SEND_INTERVAL_MS) {
    S.lastXYSent = now;
    S.sentXY = { ...S.xy };
    touched("xy");
    sendControl("xy", [Number(S.xy.x.toFixed(4)), Number(S.xy.y.toFixed(4))]);
  }
  if (arrived && !S.dragging && S.sentXY && S.sentXY.x === S.xy.x && S.sentXY.y === S.xy.y) S.target = null;
}

