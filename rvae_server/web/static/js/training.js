/* Retraining from the page: dropped clips, the job's status and the live loss curve. */

import { $, S, send, toast, TOKEN } from "./state.js";
import { MODEL_NAME, MODEL_NAME_MAX_LENGTH, MODEL_NAME_RULE } from "./rules.js";

export function wireTraining() {
  $("train-name").maxLength = MODEL_NAME_MAX_LENGTH;
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
    if (!MODEL_NAME.test(name)) {
      toast(`model name: ${MODEL_NAME_RULE}`);
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
    const headers = { "X-RVAE-Session": S.session, ...(TOKEN ? { "X-RVAE-Token": TOKEN } : {}) };
    const res = await fetch("/api/upload", { method: "POST", body: form, headers });
    const body = await res.json();
    if (!res.ok) toast(body.error || `upload failed (${res.status})`);
    if (body.files) showFiles(body.files);
    $("train-status").textContent = res.ok ? `${body.stored.length} clip(s) uploaded` : "";
  } catch (err) {
    toast(`upload failed: ${err}`);
  }
}
export function showFiles(files) {
  const list = $("file-list");
  list.textContent = "";
  for (const [name, size] of files) {
    const li = document.createElement("li");
    li.textContent = `${name} · ${(size / 1024).toFixed(1)} KB`;
    list.appendChild(li);
  }
}

export function onTraining(msg, fromHistory = false) {
  if (msg.kind === "started") {
    S.training = [];
    S.trainingKept = 0;
  }
  if (msg.kind === "epoch" && !fromHistory) S.training.push({ ...msg, at: performance.now() });
  if (msg.kind === "done") S.trainingKept = msg.kept_epoch || 0;
  const last = S.training[S.training.length - 1];
  const f1 = last && last.val_f1 !== null && last.val_f1 !== undefined ? ` · validation F1 ${Number(last.val_f1).toFixed(2)}` : "";
  const report = (msg.report || []).join(" · ");
  const texts = {
    started: `training started (job ${msg.job})`,
    epoch: last ? `epoch ${last.epoch}/${last.epochs} · train ${fmt(last.train_loss)} · validation ${fmt(last.val_loss)}${f1}` : "",
    note: msg.message,
    done: `done: model ${msg.model} is in the menu${report ? ` · ${report}` : ""}`,
    failed: `training failed: ${msg.message}`,
    cancelled: "training cancelled; nothing saved",
  };
  $("train-status").textContent = texts[msg.kind] || "";
  const warned = (msg.report || []).some((line) => line.startsWith("warning:"));
  $("train-status").classList.toggle("warn", msg.kind === "done" && warned);
  if (msg.kind === "failed" && !fromHistory) toast(`training failed: ${msg.message}`);
  drawLoss();
}
function fmt(v) {
  return v === null || v === undefined ? "–" : Number(v).toFixed(3);
}

const loss = $("loss");
const lossCtx = loss.getContext("2d", { alpha: false });
/* The loss curve: train (amber) and validation (cyan) per epoch; y from 0 to the largest loss seen. */
export function drawLoss() {
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
  if (S.trainingKept) {
    /* the kept epoch: a white line, so a rising validation curve after it is plain to see */
    ctx.strokeStyle = "#e8ecf4";
    ctx.lineWidth = 1.5 * dpr;
    ctx.beginPath();
    ctx.moveTo(X(S.trainingKept), 8 * dpr);
    ctx.lineTo(X(S.trainingKept), h - pad + 8 * dpr);
    ctx.stroke();
    ctx.fillStyle = "#e8ecf4";
    ctx.fillText(`kept ${S.trainingKept}`, Math.min(X(S.trainingKept) + 4 * dpr, w - 60 * dpr), 20 * dpr);
  }
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

