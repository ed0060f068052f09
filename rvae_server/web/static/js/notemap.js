/* Your drum machine's notes (the Output tab): each instrument's output note and MIDI channel ("layer" = the layer's
 * own channel), and the presets (General MIDI, Ableton Drum Rack, Roland TR-8S, Elektron Digitakt and Syntakt: a
 * channel a voice). Sent as /rvae/note INSTRUMENT NOTE CHANNEL and /rvae/notes PRESET; the table follows the
 * layer's state (notes and channels, saved with it). */

import { $, layerState, recentlyTouched, S, sendControl, touched } from "./state.js";
import { NOTE_MAPS } from "./rules.js";

function el(tag, attrs = {}, text = "") {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

export function buildNoteMap() {
  const box = $("note-map");
  box.textContent = "";
  const head = el("div", { class: "train-row" });
  const choice = el("select", { id: "note-preset", "aria-label": "note map preset" });
  for (const [name, title] of Object.entries(NOTE_MAPS)) choice.add(new Option(title, name));
  const apply = el("button", { id: "note-preset-apply", title: "every instrument's note and channel from the preset" }, "Apply");
  apply.addEventListener("click", () => {
    touched("notes");
    sendControl("notes", [choice.value]);
  });
  head.append(el("label", {}, "Notes"), choice, apply);
  const table = el("div", { id: "note-table", class: "note-table" });
  for (const inst of S.instruments) {
    const note = el("input", { type: "number", min: 0, max: 127, step: 1, value: inst.note, "aria-label": `${inst.name} note` });
    note.id = `note-${inst.name}`;
    const channel = el("select", { id: `channel-${inst.name}`, "aria-label": `${inst.name} channel` });
    channel.add(new Option("layer ch", "0"));
    for (let c = 1; c <= 16; c++) channel.add(new Option(`ch ${c}`, String(c)));
    const push = () => {
      const n = Number(note.value);
      if (!Number.isInteger(n) || n < 0 || n > 127) return;
      touched("notes");
      sendControl("note", [inst.name, n, Number(channel.value)]);
    };
    note.addEventListener("change", push);
    channel.addEventListener("change", push);
    table.append(el("label", { for: note.id }, inst.name), note, channel);
  }
  box.append(el("h3", {}, "Your drum machine's notes"), head, table);
}

/* The layer's notes and channels (from the state), unless the performer is editing them. */
export function onNoteMapState() {
  const ls = layerState();
  if (!ls || !ls.notes || recentlyTouched("notes")) return;
  for (const inst of S.instruments) {
    const note = $(`note-${inst.name}`);
    const channel = $(`channel-${inst.name}`);
    if (!note || document.activeElement === note) continue;
    note.value = String(ls.notes[inst.name]);
    channel.value = String(ls.channels ? ls.channels[inst.name] || 0 : 0);
  }
}
