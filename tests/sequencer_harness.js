// Runs maxpatch/rvae_sequencer.js the way Max's [js] does (its file as a script, with Max's globals faked:
// jsarguments, outlet, arrayfromargs, post) and feeds it the steps read as JSON from stdin:
//   {"layer": 1, "steps": [["plan", ...args], ["transport", state, ticks480], ["enable", 0|1],
//                          ["T", playing, position24]]}
// Glue steps call the file's message handlers (outlet calls are recorded with the step index); "T" calls the
// sequencer object directly and records each event with its position. Prints {"out": [...], "events": [...],
// "kept": {"plans": n, "partial": n}} (how many whole and incomplete bars the sequencer holds at the end).
const fs = require("fs");
const vm = require("vm");
const code = fs.readFileSync(process.argv[2], "utf8");
const input = JSON.parse(fs.readFileSync(0, "utf8"));
const out = [];
const events = [];
let step = -1;
const ctx = {
  jsarguments: ["rvae_sequencer.js", input.layer || 1],
  outlet: (n, bytes) => out.push({ step, outlet: n, bytes: Array.from(bytes) }),
  arrayfromargs: (args) => Array.prototype.slice.call(args),
  post: () => {},
};
vm.createContext(ctx);
vm.runInContext(code, ctx, { filename: "rvae_sequencer.js" });
input.steps.forEach((s, i) => {
  step = i;
  if (s[0] === "T") {
    for (const e of ctx.rvaeSequencer.transport(s[1], s[2])) events.push({ step, position: e.position, bytes: e.bytes });
  } else {
    ctx[s[0]].apply(null, s.slice(1));
  }
});
const seq = ctx.rvaeSequencer;
const kept = { plans: Object.keys(seq.plans).length, partial: Object.keys(seq.partial).length };
process.stdout.write(JSON.stringify({ out, events, kept, inlets: ctx.inlets, outlets: ctx.outlets }));
