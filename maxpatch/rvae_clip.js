// rvae_clip.js: the R-VAE device's "to clip". It collects the last bars the server played (its answer to
// /rvae/capture/clip BARS: /rvae/clip datagrams, see docs/osc.md) and writes them into a new clip on the device's
// own track through the Live API: create_clip in the first empty clip slot, then add_new_notes.
//
// Plain ES5 (Max 8's [js] and Max 9's [v8] run it; so does node, where tests/test_live_clip.py runs it against a
// mocked LiveAPI that records every call). The logic is the ClipWriter below; the Max glue at the end is a few
// message handlers.
//
// The clip: BARS bars of 4 beats, looped over its whole length (loop_start 0, loop_end = BARS * 4 beats exactly).
// Each note: pitch = the note the server played (its note map applied), start_time = its position in beats
// (position in ticks / 24, microtiming included: the offsets are kept, not quantized), velocity as played, a
// 32nd note long. A first downbeat played early (a position just below 0) is written just before the clip's end,
// where the loop plays it.
(function (root) {
  "use strict";

  var TICKS_PER_BEAT = 24;
  var BEATS_PER_BAR = 4;

  function ClipWriter(options) {
    options = options || {};
    this.layer = options.layer || 1; // the server layer (1-based) whose bars this device writes
    this.noteLength = options.noteLength || 3; // ticks a note lasts (a 32nd)
    this.api = options.api; // function(path) -> a LiveAPI object (Max: new LiveAPI(path))
    this.partial = null; // {bars, parts, got: {part: notes}, count}
  }

  // One /rvae/clip datagram's arguments: layer bars part parts, then position note velocity per note. Returns the
  // written clip's description once all parts arrived, null while waiting (or for another layer's datagram).
  ClipWriter.prototype.clip = function (args) {
    if (args.length < 4 || (args.length - 4) % 3 !== 0) return null;
    var layer = args[0], bars = args[1], part = args[2], parts = args[3];
    if (layer !== this.layer || bars < 1 || parts < 1 || part < 0 || part >= parts) return null;
    var notes = [];
    for (var i = 4; i < args.length; i += 3) notes.push([+args[i], args[i + 1] | 0, args[i + 2] | 0]);
    var p = this.partial;
    if (!p || p.bars !== bars || p.parts !== parts) p = this.partial = { bars: bars, parts: parts, got: {}, count: 0 };
    if (!p.got.hasOwnProperty(part)) p.count += 1;
    p.got[part] = notes;
    if (p.count < parts) return null;
    var all = [];
    for (var k = 0; k < parts; k++) all = all.concat(p.got[k]);
    this.partial = null;
    return this.write(bars, all);
  };

  // The Live API notes of a clip of `bars` bars: [{pitch, start_time, duration, velocity, mute}].
  ClipWriter.prototype.liveNotes = function (bars, notes) {
    var length = bars * BEATS_PER_BAR * TICKS_PER_BEAT;
    var out = [];
    for (var i = 0; i < notes.length; i++) {
      var at = notes[i][0];
      if (at < 0) at += length; // an early first downbeat: just before the end, where the loop plays it
      if (at < 0 || at >= length) continue;
      out.push({
        pitch: notes[i][1],
        start_time: at / TICKS_PER_BEAT,
        duration: this.noteLength / TICKS_PER_BEAT,
        velocity: notes[i][2],
        mute: 0
      });
    }
    return out;
  };

  // Write a new clip on the device's track: returns {slot, bars, notes} or {error}.
  ClipWriter.prototype.write = function (bars, notes) {
    if (!this.api) return { error: "no Live API here (the clip is written by the Max for Live device in Live)" };
    var track = this.api("this_device canonical_parent");
    var count = track.getcount("clip_slots");
    if (!count) return { error: "this track has no clip slots (a group or return track?)" };
    var base = track.unquotedpath;
    var slot = null, index = -1;
    for (var k = 0; k < count; k++) {
      var candidate = this.api(base + " clip_slots " + k);
      if (+candidate.get("has_clip") === 0) {
        slot = candidate;
        index = k;
        break;
      }
    }
    if (slot === null) return { error: "no empty clip slot on this track: add a scene" };
    var length = bars * BEATS_PER_BAR;
    slot.call("create_clip", length);
    var clip = this.api(base + " clip_slots " + index + " clip");
    var live = this.liveNotes(bars, notes);
    if (live.length) clip.call("add_new_notes", { notes: live });
    clip.set("loop_start", 0);
    clip.set("loop_end", length);
    clip.set("name", "R-VAE layer " + this.layer + " · " + bars + " bars");
    return { slot: index, bars: bars, notes: live.length };
  };

  root.RvaeClipWriter = ClipWriter;
  if (typeof module !== "undefined" && module.exports) module.exports = { ClipWriter: ClipWriter };
})(this);

// ---------------------------------------------------------------------------------------------- the Max glue
// [js rvae_clip.js LAYER]: inlet message "clip ..." (an /rvae/clip datagram's arguments, from [route /rvae/clip]).
// Outlet 0: a status line ("clip: 8 bars, 57 notes in slot 3", or "clip: error ...").
var rvaeClipWriter = new this.RvaeClipWriter({
  layer: typeof jsarguments !== "undefined" && jsarguments.length > 1 ? +jsarguments[1] : 1,
  api: typeof LiveAPI !== "undefined" ? function (path) { return new LiveAPI(path); } : null
});
if (typeof jsarguments !== "undefined") {
  inlets = 1;
  outlets = 1;
}

function clip() {
  var done = rvaeClipWriter.clip(arrayfromargs(arguments));
  if (done === null) return;
  if (done.error) outlet(0, "clip: " + done.error);
  else outlet(0, "clip: " + done.bars + " bars, " + done.notes + " notes in slot " + (done.slot + 1));
}
