// rvae_sequencer.js: the R-VAE device's sequencer. It holds the planned bars the server streams over OSC
// (/rvae/plan, see docs/osc.md) and plays them from Live's transport, out of the device's own track.
//
// Plain ES5 (Max 8's [js] and Max 9's [v8] both run it; so does node, where tests/test_sequencer.py runs it).
// The logic is the Sequencer below (no Max in it); the Max glue at the end is a few message handlers.
//
// Positions are ticks at 24 ppqn (96 a bar of 4 beats) since the song start, fractional: Live's transport
// position (Max's [transport] ticks at 480 ppq, divided by 20). A note of bar k sounds at k*96 + its position in
// the bar (-0.5 .. 95.5: microtiming included, so an early downbeat sounds just before its bar line).
//
// What it plays
//   - Each call of transport(playing, position) emits the notes whose time lies in (previous position, position]
//     (once each: a position is never played twice in a pass), and the note-offs that fell due.
//   - Start (playing goes on), a loop back, or a jump of more than a beat (song position, locate): the window
//     restarts half a tick before the new position, so a note on the very tick (or an early downbeat) still
//     plays; notes skipped by a jump are not played late.
//   - Stop: note-offs for every sounding note and All Notes Off (CC 123) on each channel used.
//   - Each note plays on the channel of the datagram that carried it (a bar whose instruments play on channels
//     of their own comes in one part per channel).
//   - Which plan bar k plays: the first time the transport needs bar k (half a tick before its bar line), the
//     newest plan the server sent for a later bar (its "next bar") takes over; else the current plan loops (the
//     bar the transport starts in plays the server's bar playing). A new version of the plan playing (a pad
//     move, a mute) is heard from the next tick. A plan whose bar number runs backwards (the server restarted)
//     replaces everything.
//   - What it refuses: a plan datagram with a value MIDI cannot carry or the server never sends (a part number
//     that is not a whole number below parts, more parts than a bar can need, a channel outside 1..16, a note
//     outside 0..127, a velocity outside 1..127, a position outside -0.5..95.5, a bar number that is not a whole
//     number >= 0) changes nothing, so it can neither leave a hole in a bar nor turn into wrong MIDI bytes. At
//     most MAX_KEPT bars are held, whole or waiting for parts: beyond, the oldest go.
(function (root) {
  "use strict";

  var BAR = 96; // ticks a bar (24 ppqn, 4 beats)
  var EARLY = 0.5; // the earliest note of a bar sounds this many ticks before its bar line
  var JUMP = 24; // a move forward of more than a beat between two calls is a jump, not time passing
  var MAX_PARTS = 16; // a bar holds at most 96 * 9 notes, 64 a datagram: 14 parts
  var MAX_KEPT = 16; // bars held (whole plans, and bars waiting for parts)
  var MAX_BAR = 2147483647; // bar numbers are OSC int32s

  function whole(value, lo, hi) {
    return typeof value === "number" && Math.floor(value) === value && value >= lo && value <= hi;
  }

  // The notes of a plan datagram's arguments (from index 5), or null when one is not a note the server sends.
  function notesOf(args) {
    var notes = [];
    for (var i = 5; i < args.length; i += 3) {
      var position = args[i], note = args[i + 1], velocity = args[i + 2];
      if (typeof position !== "number" || !(position >= -EARLY - 1e-6 && position <= BAR - EARLY + 1e-6)) return null;
      if (!whole(note, 0, 127) || !whole(velocity, 1, 127)) return null;
      notes.push([position, note, velocity]);
    }
    return notes;
  }

  // Delete the lowest keys of ``table`` (bar number -> anything) until at most ``most`` remain, sparing ``keep``.
  function trim(table, most, keep) {
    var keys = [];
    for (var key in table) {
      if (table.hasOwnProperty(key)) keys.push(+key);
    }
    keys.sort(function (a, b) { return a - b; });
    for (var i = 0; i < keys.length && keys.length - i > most; i++) {
      if (keep.indexOf(keys[i]) < 0) delete table[keys[i]];
    }
  }

  function Sequencer(options) {
    options = options || {};
    this.layer = options.layer || 1; // the server layer (1-based) this device plays
    this.noteLength = options.noteLength || 3; // ticks from note-on to note-off (a 32nd)
    this.enabled = options.enabled === undefined ? true : !!options.enabled;
    this.plans = {}; // server bar number -> {bar, channel, notes: [[position, note, velocity], ...]}
    this.partial = {}; // server bar number -> {parts, got: {part: notes}, channel}
    this.current = null; // server bar number of the plan playing
    this.next = null; // server bar number of the newest plan for a later bar
    this.assigned = {}; // device bar number -> server bar number
    this.playing = false;
    this.last = null; // the previous position (exclusive lower bound of the next window)
    this.offs = []; // pending note-offs: {due, channel, note}
    this.sounding = {}; // "channel:note" -> true
    this.channels = {}; // channels used (for All Notes Off)
  }

  // One /rvae/plan datagram's arguments (after the address): layer bar channel part parts, then position note
  // velocity per note. Returns true when it completed a bar of this device's layer.
  Sequencer.prototype.plan = function (args) {
    if (args.length < 5 || (args.length - 5) % 3 !== 0) return false;
    var layer = args[0], bar = args[1], channel = args[2], part = args[3], parts = args[4];
    if (layer !== this.layer || !whole(bar, 0, MAX_BAR) || !whole(channel, 1, 16)) return false;
    if (!whole(parts, 1, MAX_PARTS) || !whole(part, 0, parts - 1)) return false;
    var notes = notesOf(args);
    if (notes === null) return false;
    for (var j = 0; j < notes.length; j++) notes[j].push(channel); // each note plays on its datagram's channel
    if (parts > 1) {
      var pending = this.partial[bar];
      if (!pending || pending.parts !== parts) pending = this.partial[bar] = { parts: parts, got: {}, count: 0 };
      if (!pending.got.hasOwnProperty(part)) pending.count += 1;
      pending.got[part] = notes;
      trim(this.partial, MAX_KEPT, [bar]);
      if (pending.count < parts) return false;
      notes = [];
      for (var p = 0; p < parts; p++) notes = notes.concat(pending.got[p]);
      delete this.partial[bar];
    }
    this.accept({ bar: bar, channel: channel, notes: notes });
    return true;
  };

  Sequencer.prototype.accept = function (plan) {
    var bar = plan.bar;
    this.plans[bar] = plan;
    if (this.current === null || bar < this.current - 1) {
      // the first plan, or the server started again from bar 0: play it now
      this.current = bar;
      this.next = null;
      this.assigned = {};
    } else if (bar > this.current) {
      // the server plans bar b at its bar b-1's line: b-1 is the server's bar now, b its next
      if (this.plans[bar - 1] && bar - 1 > this.current) this.current = bar - 1;
      if (this.next === null || bar >= this.next) this.next = bar;
      if (this.next === this.current) this.next = null;
    }
    var keep = this.current - 2;
    for (var key in this.plans) {
      if (this.plans.hasOwnProperty(key) && +key < keep) delete this.plans[key];
    }
    trim(this.plans, MAX_KEPT, [this.current, this.next, bar]);
  };

  // The plan device bar k plays (null before any plan arrived).
  Sequencer.prototype.planFor = function (k, fresh) {
    if (!this.assigned.hasOwnProperty(k)) {
      if (this.current === null) return null;
      if (!fresh && this.next !== null && this.plans[this.next]) {
        this.current = this.next;
        this.next = null;
      }
      this.assigned[k] = this.current;
      for (var key in this.assigned) {
        if (this.assigned.hasOwnProperty(key) && +key < k - 1) delete this.assigned[key];
      }
    }
    return this.plans[this.assigned[k]] || null;
  };

  // Live's transport now: returns the MIDI messages due, in order, as {position, bytes: [status, data1, data2]}.
  Sequencer.prototype.transport = function (playing, position) {
    var out = [];
    if (!playing || !this.enabled) {
      if (this.playing) this.allOff(out, position);
      this.playing = false;
      this.last = null;
      return out;
    }
    if (!this.playing || this.last === null || position < this.last - 1e-6 || position > this.last + JUMP) {
      if (this.playing) this.allOff(out, position); // a jump: nothing left sounding from before
      this.playing = true;
      this.last = position - EARLY;
      this.assigned = {};
      var fresh = true; // the bar it starts in plays the plan playing now; the next plan waits for a bar line
    }
    var first = Math.floor((this.last + EARLY) / BAR);
    var lastBar = Math.floor((position + EARLY) / BAR);
    var ons = [];
    for (var k = first; k <= lastBar; k++) {
      var plan = this.planFor(k, fresh && k === first);
      if (!plan) continue;
      for (var i = 0; i < plan.notes.length; i++) {
        var at = k * BAR + plan.notes[i][0];
        if (at > this.last && at <= position) ons.push([at, plan.notes[i][1], plan.notes[i][2], plan.notes[i][3] || plan.channel]);
      }
    }
    ons.sort(function (a, b) { return a[0] - b[0]; });
    for (var j = 0; j < ons.length; j++) {
      this.dueOffs(out, ons[j][0]); // in time order: the note-offs due before this note first
      this.noteOn(out, ons[j][0], ons[j][1], ons[j][2], ons[j][3]);
    }
    this.dueOffs(out, position);
    this.last = position;
    return out;
  };

  Sequencer.prototype.noteOn = function (out, at, note, velocity, channel) {
    var key = channel + ":" + note;
    if (this.sounding[key]) {
      this.removeOff(channel, note);
      out.push({ position: at, bytes: [0x80 | (channel - 1), note, 0] });
    }
    out.push({ position: at, bytes: [0x90 | (channel - 1), note, velocity] });
    this.sounding[key] = true;
    this.channels[channel] = true;
    this.offs.push({ due: at + this.noteLength, channel: channel, note: note });
  };

  Sequencer.prototype.removeOff = function (channel, note) {
    this.offs = this.offs.filter(function (o) { return !(o.channel === channel && o.note === note); });
  };

  Sequencer.prototype.dueOffs = function (out, position) {
    var due = this.offs.filter(function (o) { return o.due <= position; });
    if (!due.length) return;
    this.offs = this.offs.filter(function (o) { return o.due > position; });
    due.sort(function (a, b) { return a.due - b.due; });
    for (var i = 0; i < due.length; i++) {
      delete this.sounding[due[i].channel + ":" + due[i].note];
      out.push({ position: due[i].due, bytes: [0x80 | (due[i].channel - 1), due[i].note, 0] });
    }
  };

  Sequencer.prototype.allOff = function (out, position) {
    for (var i = 0; i < this.offs.length; i++) {
      out.push({ position: position, bytes: [0x80 | (this.offs[i].channel - 1), this.offs[i].note, 0] });
    }
    this.offs = [];
    this.sounding = {};
    for (var channel in this.channels) {
      if (this.channels.hasOwnProperty(channel)) out.push({ position: position, bytes: [0xb0 | (channel - 1), 123, 0] });
    }
  };

  root.RvaeSequencer = Sequencer;
  if (typeof module !== "undefined" && module.exports) module.exports = { Sequencer: Sequencer, BAR: BAR };
})(this);

// ---------------------------------------------------------------------------------------------- the Max glue
// [js rvae_sequencer.js LAYER]: inlet messages "plan ..." (an /rvae/plan datagram's arguments), "transport
// STATE TICKS480" (from [transport]: 1/0 and its ticks at 480 ppq), "enable 0|1" (0: the server plays its port
// instead; everything sounding stops). Outlet 0: MIDI messages as lists of bytes, for [midiout].
var rvaeSequencer = new this.RvaeSequencer({
  layer: typeof jsarguments !== "undefined" && jsarguments.length > 1 ? +jsarguments[1] : 1
});
if (typeof jsarguments !== "undefined") {
  inlets = 1;
  outlets = 1;
}

function rvaeSend(events) {
  for (var i = 0; i < events.length; i++) outlet(0, events[i].bytes);
}

function plan() {
  rvaeSequencer.plan(arrayfromargs(arguments));
}

function transport(state, ticks480) {
  rvaeSend(rvaeSequencer.transport(state !== 0, ticks480 / 20));
}

function enable(on) {
  rvaeSequencer.enabled = on !== 0;
  if (!rvaeSequencer.enabled) rvaeSend(rvaeSequencer.transport(false, rvaeSequencer.last || 0));
}
