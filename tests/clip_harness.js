// Runs maxpatch/rvae_clip.js the way Max's [js] does in a Max for Live device (its file as a script, with Max's
// globals faked: jsarguments, outlet, arrayfromargs, post) and a mocked LiveAPI that records every call. Reads
// {"layer": 1, "slots": [1, 0, 0], "live": true, "steps": [["clip", ...args], ...]} from stdin ("slots": each clip
// slot's has_clip; "live": false leaves LiveAPI undefined, as in plain Max) and prints
// {"out": [...outlet calls], "calls": [[kind, path, ...], ...], "inlets", "outlets"}.
const fs = require("fs");
const vm = require("vm");
const code = fs.readFileSync(process.argv[2], "utf8");
const input = JSON.parse(fs.readFileSync(0, "utf8"));
const slots = input.slots || [0];
const calls = [];
const out = [];
const TRACK = "live_set tracks 2";

function LiveAPI(path) {
  this.path = path;
  this.unquotedpath = path === "this_device canonical_parent" ? TRACK : path;
  calls.push(["new", path]);
}
LiveAPI.prototype.get = function (prop) {
  calls.push(["get", this.unquotedpath, prop]);
  if (prop === "has_clip") return [slots[+this.unquotedpath.split(" clip_slots ")[1]]];
  return [0];
};
LiveAPI.prototype.getcount = function (child) {
  calls.push(["getcount", this.unquotedpath, child]);
  return child === "clip_slots" ? slots.length : 0;
};
LiveAPI.prototype.call = function (fn, ...args) {
  calls.push(["call", this.unquotedpath, fn, ...JSON.parse(JSON.stringify(args))]);
};
LiveAPI.prototype.set = function (prop, value) {
  calls.push(["set", this.unquotedpath, prop, value]);
};

const ctx = {
  jsarguments: ["rvae_clip.js", input.layer || 1],
  outlet: (n, value) => out.push({ outlet: n, value }),
  arrayfromargs: (args) => Array.prototype.slice.call(args),
  post: () => {},
};
if (input.live !== false) ctx.LiveAPI = LiveAPI;
vm.createContext(ctx);
vm.runInContext(code, ctx, { filename: "rvae_clip.js" });
for (const step of input.steps) ctx[step[0]].apply(null, step.slice(1));
process.stdout.write(JSON.stringify({ out, calls, inlets: ctx.inlets, outlets: ctx.outlets }));
