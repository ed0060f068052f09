/* R-VAE page: visualizer, player, current bar and training. Plain JS modules, no dependencies, everything from
 * the daemon. This is the entry point: the frame loop, the debug hook for tests and benchmarks, and start-up.
 *
 * Modules: state.js (shared state, constants, helpers), rules.js (the model-name pattern and the tempo range,
 * generated from the server's own: do not edit), connection.js (the WebSocket), panel.js (controls and
 * what the state sets), pad.js (the visualizer and the XY pad), roll.js (the piano roll), training.js, map.js (the
 * map of the model's space: training bars by style; click a bar to play it), melody.js (the melody layer's controls
 * and its piano roll), motion.js (LFOs, path, gesture loop, swing, densities, presets, follow, capture;
 * the point as played, the trail), still.js (the pad's still picture: what plays where), tabs.js (the third
 * column's tabs, remembered per browser), notemap.js (the Output tab's note map: each instrument's note and
 * channel, the drum-machine presets).
 *
 * Above the fold at 1366 × 768: the header (transport, tempo, layers, model and its undo), the pad and its legend,
 * the play column (threshold, noise, mutes, the current bar, LFO per axis, presets); the rest is one tab away.
 *
 * Timing: the server sends {type:"clock", position, bpm, running} a few times a second; the page extrapolates
 * the position (24-ppqn ticks) with performance.now() and animates the grid through the 96 ticks of the bar.
 * Grid: one binary message per model: "RVG1", uint32 LE header length, JSON header, then uint8 bytes laid out
 * [tick][instrument][point], point = row * n + col, row = y (row 0 = y 0, drawn at the bottom), col = x.
 * Controls are sent as {type:"control", address:"/rvae/[layer/N/]name", args:[...]} (the OSC names).
 */

import { $, layerState, position, S, send, TICKS } from "./state.js";
import { connect } from "./connection.js";
import { drawPad, gridN, padToCss, setView, stepXY, storedView } from "./pad.js";
import { buildLegend, colourMutes, showStillSize, wireControls } from "./panel.js";
import { drawRoll } from "./roll.js";
import { drawMap, mapDebug, mapPoint, wireMap } from "./map.js";
import { drawMelody, wireMelody } from "./melody.js";
import { stillDebug } from "./still.js";
import { currentTab, onTabShown, showTab, wireTabs } from "./tabs.js";
import { drawLoss } from "./training.js";

const pad = $("pad");

let lastFrame = performance.now();
function frame(now) {
  const dt = Math.min(100, now - lastFrame);
  lastFrame = now;
  const t0 = performance.now();
  stepXY(now, dt);
  drawPad(now);
  if (S.view === "still") showStillSize();
  drawRoll(now);
  drawMap();
  drawMelody(now);
  S.drawMs = S.drawMs * 0.9 + (performance.now() - t0) * 0.1;
  S.frames.push(now);
  while (S.frames.length && now - S.frames[0] > 1000) S.frames.shift();
  requestAnimationFrame(frame);
}

// debug hook (tests, benchmarks)
window.rvae = {
  tick: () => S.lastTick,
  position: () => position(),
  fps: () => S.frames.length,
  drawMs: () => S.drawMs,
  bytesReceived: () => S.bytes,
  messagesReceived: () => S.messages,
  grid: () => (S.grid ? { model: S.grid.model, n: S.grid.n, receivedAt: S.grid.receivedAt } : null),
  hold: (tick) => {
    S.hold = tick === null || tick === undefined ? null : ((Math.floor(tick) % TICKS) + TICKS) % TICKS;
    drawPad(performance.now());
  },
  cellCenter: (row, col) => {
    // document CSS pixels of grid point (row = y index, col = x index)
    const n = gridN();
    const r = pad.getBoundingClientRect();
    return { x: scrollX + r.left + ((col + 0.5) / n) * r.width, y: scrollY + r.top + ((n - 1 - row + 0.5) / n) * r.height };
  },
  padPoint: (x, y) => {
    const r = pad.getBoundingClientRect();
    const p = padToCss(x, y);
    return { x: r.left + p.x, y: r.top + p.y };
  },
  channels: (chs) => {
    if (chs) {
      S.channels = chs.slice(0, 3);
      buildLegend();
      colourMutes();
    }
    return S.channels.slice();
  },
  xy: () => ({ ...S.xy }),
  glow: (ticks) => {
    if (ticks !== undefined) {
      if (S.view !== "glow") {
        setView("glow", false);
        buildLegend();
      }
      S.glow = Math.max(1, Math.floor(ticks));
      if ($("glow")) $("glow").value = String(S.glow);
    }
    return S.glow;
  },
  view: (view) => {
    if (view !== undefined) {
      setView(view);
      buildLegend();
      colourMutes();
      drawPad(performance.now());
    }
    return S.view;
  },
  still: (row, col) => stillDebug(row, col),
  tab: (name) => (name === undefined ? currentTab() : showTab(name)),
  send: (obj) => send(obj),
  bar: () => S.bars.get(S.layer) || null,
  state: () => layerState(),
  lossEpochs: () => S.training.length,
  lossArrivals: () => S.training.map((u) => u.at),
  errors: () => S.errors.slice(),
  motion: () => (S.motion ? S.motion.slice() : null),
  encoded: () => S.encoded,
  map: () => mapDebug(),
  mapPoint: (i) => mapPoint(i),
  connected: () => !!S.ws && S.ws.readyState === WebSocket.OPEN && !!S.welcome,
  melody: () => (S.melody ? { ...S.melody } : null),
};

setView(storedView(), false);
onTabShown("training", drawLoss);
wireTabs();
wireControls();
wireMap();
wireMelody();
connect();
requestAnimationFrame(frame);
