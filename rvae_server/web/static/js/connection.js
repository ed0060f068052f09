/* The WebSocket to the daemon: (re)connecting, and routing each message to the part of the page it is for. */

import { $, position, S, toast, TOKEN } from "./state.js";
import { resizePad } from "./pad.js";
import { onModels, onState, onWelcome, updateTransport } from "./panel.js";
import { onTraining, showFiles } from "./training.js";
import { onMotionMessage } from "./motion.js";
import { onMelody, onMelodyState, onMelodyWelcome } from "./melody.js";

export function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const params = new URLSearchParams();
  if (S.session) params.set("session", S.session);
  if (TOKEN) params.set("token", TOKEN);
  const q = params.toString() ? `?${params}` : "";
  const ws = new WebSocket(`${proto}//${location.host}/ws${q}`);
  ws.binaryType = "arraybuffer";
  S.ws = ws;
  ws.onopen = () => setConn(true);
  ws.onclose = () => {
    setConn(false);
    setTimeout(connect, 1000);
  };
  ws.onmessage = (ev) => {
    S.messages += 1;
    if (typeof ev.data === "string") {
      S.bytes += ev.data.length;
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch (err) {
        return;
      }
      handle(msg);
    } else {
      S.bytes += ev.data.byteLength;
      handleBinary(ev.data);
    }
  };
}
function setConn(on) {
  $("conn").className = `dot ${on ? "on" : "off"}`;
  $("conn-text").textContent = on ? "connected" : "reconnecting…";
  $("play").disabled = !on;
}

function handle(msg) {
  switch (msg.type) {
    case "welcome":
      onWelcome(msg);
      return onMelodyWelcome(msg);
    case "state":
      onMelodyState(msg);
      return onState(msg);
    case "melody": return onMelody(msg);
    case "models": return onModels(msg);
    case "clock":
      // the position was read at server_time (Unix seconds): count the delivery delay when the clocks agree
      // (same machine, or NTP), capped at 100 ms so a wrong clock cannot throw the animation off
      S.clock = { position: msg.position, bpm: msg.bpm, running: msg.running,
        at: performance.now() - Math.min(100, Math.max(0, Date.now() - msg.server_time * 1000)) };
      updateTransport();
      return;
    case "bar":
      S.bars.set(msg.layer, msg);
      return;
    case "training": return onTraining(msg);
    case "motion":
    case "captured": return onMotionMessage(msg);
    case "uploads": return showFiles(msg.files);
    case "reply": return;
    case "note": return toast(msg.message, "note");
    case "error": return toast(msg.message);
    default: return;
  }
}

function handleBinary(buf) {
  const bytes = new Uint8Array(buf);
  if (bytes.length < 8 || String.fromCharCode(...bytes.subarray(0, 4)) !== "RVG1") return;
  const len = new DataView(buf).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len)));
  const data = new Uint8Array(buf, 8 + len);
  const nInst = header.instruments.length;
  if (data.length !== header.ticks * nInst * header.n * header.n) return;
  S.grid = { model: header.model, layer: header.layer, n: header.n, ticks: header.ticks, nInst, data,
    receivedAt: performance.now(), quality: header.quality || null };
  showQuality(S.grid);
  resizePad();
}

/* How the model plays on the pad (its stored evaluation): one line, a plain warning when the space is poor. */
function showQuality(grid) {
  const el = $("quality");
  if (!el) return;
  const q = grid.quality;
  if (!q || typeof q.pass !== "number") {
    el.hidden = true;
    return;
  }
  el.hidden = false;
  el.classList.toggle("warn", !!q.poor);
  const share = `${Math.round(q.pass * 100)}% of the pad plays drum patterns`;
  el.textContent = q.poor
    ? `Warning: ${grid.model} plays poorly: ${(q.warnings || []).join("; ") || share}.`
    : `${grid.model}: ${share}.`;
}
