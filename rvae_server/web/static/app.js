/* R-VAE page: visualizer, player, current bar and training. Plain JS, no dependencies, everything from the daemon.
 *
 * Timing: the server sends {type:"clock", position, bpm, running} a few times a second; the page extrapolates
 * the position (24-ppqn ticks) with performance.now() and animates the grid through the 96 ticks of the bar.
 * Grid: one binary message per model: "RVG1", uint32 LE header length, JSON header, then uint8 bytes laid out
 * [tick][instrument][point], point = row * n + col, row = y (row 0 = y 0, drawn at the bottom), col = x.
 * Controls are sent as {type:"control", address:"/rvae/[layer/N/]name", args:[...]} (the OSC names).
 */
"use strict";

(() => {
  const TICKS = 96;
  const TICKS_PER_BEAT = 24;
  const SEND_INTERVAL_MS = 16; // XY at most ~60 a second
  const SLIDER_INTERVAL_MS = 33;
  const GLIDE_MS = 70; // time constant of the XY glide towards the pointer
  const LOCAL_HOLD_MS = 600; // ignore the server's echo of a control the performer just moved
  const CHANNEL_COLOURS = ["#ff4d5e", "#3ddc84", "#4da3ff"];
  const CHANNEL_NAMES = ["red", "green", "blue"];

  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------------ state
  const S = {
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
    glow: 6, // ticks a lit point takes to fade (6 = a sixteenth note)
    lastTick: 0,
    training: [], // epoch updates of the current job
    trainInfo: "",
    errors: [],
  };

  // ------------------------------------------------------------------ helpers
  function control(name) {
    return S.controls.get(name) || null;
  }
  /* The OSC address of a control for a layer (0-based): /rvae/name for layer 1, /rvae/layer/N/name otherwise. */
  function address(name, layer) {
    const c = control(name);
    if (!c) return null;
    if (!c.layer_address || layer === 0) return c.address;
    return c.layer_address.replace("/N/", `/${layer + 1}/`);
  }
  /* [min, max] of a control's argument from the OSC table (a missing lo is 0). */
  function range(name, arg = 0) {
    const c = control(name);
    const a = c && c.args[arg];
    if (!a || a.hi === undefined) return null;
    return [a.lo === undefined ? 0 : a.lo, a.hi];
  }
  function send(obj) {
    if (S.ws && S.ws.readyState === WebSocket.OPEN) S.ws.send(JSON.stringify(obj));
  }
  function sendControl(name, args, layer = S.layer) {
    const addr = address(name, layer);
    if (addr === null) {
      toast(`control ${name} is not in the server's table`);
      return;
    }
    send({ type: "control", address: addr, args });
  }
  function toast(text, kind = "error") {
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
  function position(now = performance.now()) {
    const c = S.clock;
    if (!c.running) return c.position;
    return c.position + ((now - c.at) / 1000) * (c.bpm * TICKS_PER_BEAT) / 60;
  }
  function touched(name) {
    S.localTouch.set(name, performance.now());
  }
  function recentlyTouched(name) {
    const t = S.localTouch.get(name);
    return t !== undefined && performance.now() - t < LOCAL_HOLD_MS;
  }
  function layerState() {
    return S.state && S.state.layers ? S.state.layers[S.layer] : null;
  }

  // ------------------------------------------------------------------ connection
  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const q = S.session ? `?session=${encodeURIComponent(S.session)}` : "";
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
      case "welcome": return onWelcome(msg);
      case "state": return onState(msg);
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

  // ------------------------------------------------------------------ welcome and state
  function onWelcome(msg) {
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
  function colourMutes() {
    for (const b of $("mutes").children) {
      const ch = S.channels.indexOf(Number(b.dataset.index));
      b.style.borderLeftColor = ch >= 0 ? CHANNEL_COLOURS[ch] : "";
    }
  }

  function buildLegend() {
    const box = $("legend");
    box.textContent = "";
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

  function onState(msg) {
    S.state = msg;
    const ls = layerState();
    // models menu
    const menu = $("model");
    const models = msg.models || [];
    if ([...menu.options].map((o) => o.value).join("\n") !== models.join("\n")) {
      menu.textContent = "";
      for (const m of models) menu.add(new Option(m, m));
    }
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
  }

  function updateTransport() {
    const b = $("play");
    b.classList.toggle("playing", S.clock.running);
    b.innerHTML = S.clock.running ? "&#9632; Stop" : "&#9654; Play";
  }

  // ------------------------------------------------------------------ controls
  function wireControls() {
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
    $("bpm").addEventListener("change", () => sendBpm(Number($("bpm").value)));
    $("bpm-down").addEventListener("click", () => {
      const v = Math.max(20, Math.round(Number($("bpm").value) - 1));
      $("bpm").value = v;
      sendBpm(v);
    });
    $("bpm-up").addEventListener("click", () => {
      const v = Math.min(400, Math.round(Number($("bpm").value) + 1));
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

  // ------------------------------------------------------------------ the pad
  const pad = $("pad");
  const padCtx = pad.getContext("2d", { alpha: false });
  const small = document.createElement("canvas");
  const smallCtx = small.getContext("2d");
  let smallImage = null;
  let mask = null;

  function gridN() {
    return S.grid ? S.grid.n : (S.welcome ? S.welcome.grid_size : 30);
  }
  /* pad (x, y) in [0,1]² ↔ CSS pixels of the canvas: grid point j sits at the centre of column j. */
  function padToCss(x, y) {
    const r = pad.getBoundingClientRect();
    const n = gridN();
    return { x: ((x * (n - 1) + 0.5) / n) * r.width, y: (1 - (y * (n - 1) + 0.5) / n) * r.height };
  }
  function cssToPad(px, py) {
    const r = pad.getBoundingClientRect();
    const n = gridN();
    const clamp = (v) => Math.min(1, Math.max(0, v));
    return { x: clamp(((px / r.width) * n - 0.5) / (n - 1)), y: clamp(((1 - py / r.height) * n - 0.5) / (n - 1)) };
  }

  function resizePad() {
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

  function drawPad(now) {
    resizePad();
    const w = pad.width;
    const h = pad.height;
    const tick = currentTick(now);
    S.lastTick = tick;
    padCtx.fillStyle = "#000";
    padCtx.fillRect(0, 0, w, h);
    if (S.grid && smallImage) {
      drawGrid(tick);
      padCtx.imageSmoothingEnabled = false;
      padCtx.drawImage(small, 0, 0, w, h);
    }
    if (mask) padCtx.drawImage(mask, 0, 0);
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
    if (!S.grid) {
      padCtx.fillStyle = "#8a93a6";
      padCtx.font = `${16 * dpr}px system-ui, sans-serif`;
      padCtx.textAlign = "center";
      padCtx.fillText("decoding the grid…", w / 2, h / 2);
    }
  }

  function wirePad() {
    const at = (ev) => {
      const r = pad.getBoundingClientRect();
      return cssToPad(ev.clientX - r.left, ev.clientY - r.top);
    };
    pad.addEventListener("pointerdown", (ev) => {
      pad.setPointerCapture(ev.pointerId);
      S.dragging = true;
      S.target = at(ev);
      ev.preventDefault();
    });
    pad.addEventListener("pointermove", (ev) => {
      if (S.dragging) S.target = at(ev);
    });
    const up = () => {
      S.dragging = false;
    };
    pad.addEventListener("pointerup", up);
    pad.addEventListener("pointercancel", up);
    window.addEventListener("resize", resizePad);
  }

  /* Glide the marker towards the pointer (exponential, GLIDE_MS) and send it at most every SEND_INTERVAL_MS. */
  function stepXY(now, dt) {
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

  // ------------------------------------------------------------------ the piano roll
  const roll = $("roll");
  const rollCtx = roll.getContext("2d", { alpha: false });
  const rollCache = document.createElement("canvas");
  const rollCacheCtx = rollCache.getContext("2d", { alpha: false });
  let rollCacheBar = null;
  let rollCacheKey = "";
  let lastBarText = "";
  /* The piano roll without the playhead (redrawn only when the bar, layer, mutes or colours change). */
  function drawRollCache(w, h, dpr, bar, ls) {
    const ctx = rollCacheCtx;
    ctx.fillStyle = "#05060a";
    ctx.fillRect(0, 0, w, h);
    const nInst = S.instruments.length || 9;
    const labelW = 96 * dpr;
    const gw = w - labelW;
    const rowH = h / nInst;
    const tickW = gw / TICKS;
    // rows and grid lines (beats bright, sixteenths dim)
    ctx.font = `${13 * dpr}px system-ui, sans-serif`;
    ctx.textBaseline = "middle";
    for (let k = 0; k < nInst; k++) {
      const y = (nInst - 1 - k) * rowH; // kick at the bottom
      ctx.fillStyle = k % 2 ? "#0b0d13" : "#090a0f";
      ctx.fillRect(labelW, y, gw, rowH);
      ctx.fillStyle = S.channels.indexOf(k) >= 0 ? CHANNEL_COLOURS[S.channels.indexOf(k)] : "#8a93a6";
      ctx.fillText(S.instruments[k] ? S.instruments[k].name : String(k), 8 * dpr, y + rowH / 2);
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
        const ch = S.channels.indexOf(inst);
        const base = ch >= 0 ? CHANNEL_COLOURS[ch] : "#c8ced9";
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

  function drawRoll(now) {
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
    const key = [w, h, S.layer, S.channels.join(), ls ? JSON.stringify(ls.mutes) : "", S.instruments.length];
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
    const labelW = 96 * dpr;
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

  // ------------------------------------------------------------------ training
  function wireTraining() {
    const drop = $("drop");
    const input = $("files");
    input.addEventListener("change", () => {
      upload([...input.files]);
      input.value = "";
    });
    drop.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") input.click();
    });
    drop.addEventListener("dragover", (ev) => {
      ev.preventDefault();
      drop.classList.add("over");
    });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", (ev) => {
      ev.preventDefault();
      drop.classList.remove("over");
      if (!S.welcome || !S.welcome.training) return;
      upload([...ev.dataTransfer.files]);
    });
    $("train-start").addEventListener("click", () => {
      const name = $("train-name").value.trim();
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
        toast("model name: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        return;
      }
      send({ type: "train", name, layers: [S.layer] });
    });
    $("train-cancel").addEventListener("click", () => send({ type: "train_cancel" }));
    $("files-clear").addEventListener("click", () => send({ type: "uploads_clear" }));
  }

  async function upload(files) {
    const limits = S.welcome ? S.welcome.limits : { file_bytes: 10 << 20, session_bytes: 50 << 20 };
    const ok = [];
    for (const f of files) {
      if (!/\.midi?$/i.test(f.name)) toast(`${f.name}: only .mid and .midi files`);
      else if (f.size > limits.file_bytes) toast(`${f.name}: larger than ${limits.file_bytes >> 20} MB`);
      else ok.push(f);
    }
    if (!ok.length) return;
    const form = new FormData();
    for (const f of ok) form.append("clip", f, f.name);
    $("train-status").textContent = `uploading ${ok.length} clip(s)…`;
    try {
      const res = await fetch("/api/upload", { method: "POST", body: form, headers: { "X-RVAE-Session": S.session } });
      const body = await res.json();
      if (!res.ok) toast(body.error || `upload failed (${res.status})`);
      if (body.files) showFiles(body.files);
      $("train-status").textContent = res.ok ? `${body.stored.length} clip(s) uploaded` : "";
    } catch (err) {
      toast(`upload failed: ${err}`);
    }
  }
  function showFiles(files) {
    const list = $("file-list");
    list.textContent = "";
    for (const [name, size] of files) {
      const li = document.createElement("li");
      li.textContent = `${name} · ${(size / 1024).toFixed(1)} KB`;
      list.appendChild(li);
    }
  }

  function onTraining(msg, fromHistory = false) {
    if (msg.kind === "started") S.training = [];
    if (msg.kind === "epoch" && !fromHistory) S.training.push({ ...msg, at: performance.now() });
    const last = S.training[S.training.length - 1];
    const texts = {
      started: `training started (job ${msg.job})`,
      epoch: last ? `epoch ${last.epoch}/${last.epochs} · train ${fmt(last.train_loss)} · validation ${fmt(last.val_loss)}` : "",
      note: msg.message,
      done: `done: model ${msg.model} is in the menu`,
      failed: `training failed: ${msg.message}`,
      cancelled: "training cancelled; nothing saved",
    };
    $("train-status").textContent = texts[msg.kind] || "";
    if (msg.kind === "failed" && !fromHistory) toast(`training failed: ${msg.message}`);
    drawLoss();
  }
  function fmt(v) {
    return v === null || v === undefined ? "–" : Number(v).toFixed(3);
  }

  const loss = $("loss");
  const lossCtx = loss.getContext("2d", { alpha: false });
  /* The loss curve: train (amber) and validation (cyan) per epoch; y from 0 to the largest loss seen. */
  function drawLoss() {
    const r = loss.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(100, Math.round(r.width * dpr));
    const h = Math.max(60, Math.round(r.height * dpr));
    if (loss.width !== w || loss.height !== h) {
      loss.width = w;
      loss.height = h;
    }
    const ctx = lossCtx;
    ctx.fillStyle = "#05060a";
    ctx.fillRect(0, 0, w, h);
    const pts = S.training;
    const pad = 36 * dpr;
    ctx.strokeStyle = "#262c38";
    ctx.lineWidth = dpr;
    ctx.strokeRect(pad, 8 * dpr, w - pad - 8 * dpr, h - pad);
    ctx.font = `${12 * dpr}px system-ui, sans-serif`;
    ctx.fillStyle = "#8a93a6";
    if (!pts.length) {
      ctx.textAlign = "center";
      ctx.fillText("the loss curve appears here while training", w / 2, h / 2);
      ctx.textAlign = "left";
      return;
    }
    const epochs = Math.max(pts[pts.length - 1].epochs || 1, pts.length, 2);
    let top = 0;
    for (const p of pts) top = Math.max(top, p.train_loss || 0, p.val_loss || 0);
    top = top > 0 ? top * 1.05 : 1;
    const X = (e) => pad + ((e - 1) / (epochs - 1)) * (w - pad - 8 * dpr);
    const Y = (v) => 8 * dpr + (1 - v / top) * (h - pad);
    ctx.fillText(top.toFixed(2), 2 * dpr, 16 * dpr);
    ctx.fillText("0", 2 * dpr, h - pad + 8 * dpr);
    ctx.fillText(`epoch ${pts[pts.length - 1].epoch}/${epochs}`, pad, h - 10 * dpr);
    for (const [key, colour, label, lx] of [["train_loss", "#ffb020", "train", 0.55], ["val_loss", "#38d6ff", "validation", 0.7]]) {
      ctx.strokeStyle = colour;
      ctx.lineWidth = 2.5 * dpr;
      ctx.beginPath();
      let started = false;
      for (const p of pts) {
        const v = p[key];
        if (v === null || v === undefined) continue;
        if (!started) ctx.moveTo(X(p.epoch), Y(v));
        else ctx.lineTo(X(p.epoch), Y(v));
        started = true;
      }
      ctx.stroke();
      ctx.fillStyle = colour;
      ctx.fillText(label, w * lx, h - 10 * dpr);
    }
  }

  // ------------------------------------------------------------------ the frame loop
  let lastFrame = performance.now();
  function frame(now) {
    const dt = Math.min(100, now - lastFrame);
    lastFrame = now;
    const t0 = performance.now();
    stepXY(now, dt);
    drawPad(now);
    drawRoll(now);
    S.drawMs = S.drawMs * 0.9 + (performance.now() - t0) * 0.1;
    S.frames.push(now);
    while (S.frames.length && now - S.frames[0] > 1000) S.frames.shift();
    requestAnimationFrame(frame);
  }

  // ------------------------------------------------------------------ debug hook (tests, benchmarks)
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
        S.glow = Math.max(1, Math.floor(ticks));
        if ($("glow")) $("glow").value = String(S.glow);
      }
      return S.glow;
    },
    send: (obj) => send(obj),
    bar: () => S.bars.get(S.layer) || null,
    state: () => layerState(),
    lossEpochs: () => S.training.length,
    lossArrivals: () => S.training.map((u) => u.at),
    errors: () => S.errors.slice(),
    connected: () => !!S.ws && S.ws.readyState === WebSocket.OPEN && !!S.welcome,
  };

  wireControls();
  connect();
  requestAnimationFrame(frame);
})();
