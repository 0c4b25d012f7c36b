// Runs the vendored scorm-again in Node for tests/unit/test_package_scorm.py: loads what
// the server hands the player (loadFromJSON), initialises, reads and sets values as a
// SCO would, and prints what a commit would send. Input and output: JSON on stdin/stdout.
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const task = JSON.parse(fs.readFileSync(0, "utf8"));
process.on("uncaughtException", (error) => {
  // scorm-again refused a value (e.g. while loading): its message, not its source.
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
const vendor = path.join(__dirname, "..", "..", "..", "lms", "static", "vendor", "scorm-again");
const is12 = task.standard === "scorm12";
const context = { console, setTimeout, clearTimeout, setInterval, clearInterval };
context.window = context;
vm.createContext(context);
vm.runInContext(
  fs.readFileSync(path.join(vendor, is12 ? "scorm12.min.js" : "scorm2004.min.js"), "utf8"),
  context,
);
// Objects made inside the context: loadFromJSON tells objects from values by constructor.
context.loadText = JSON.stringify(task.load);
const api = new (is12 ? context.Scorm12API : context.Scorm2004API)({ logLevel: 5 });
api.loadFromJSON(vm.runInContext("JSON.parse(loadText)", context), "");
const call = (name12, name2004, ...args) => api[is12 ? name12 : name2004](...args);
const out = { initialized: call("LMSInitialize", "Initialize", ""), got: {}, refused: {} };
for (const element of task.get || []) {
  out.got[element] = call("LMSGetValue", "GetValue", element);
}
for (const [element, value] of task.set || []) {
  if (call("LMSSetValue", "SetValue", element, value) !== "true") {
    out.refused[element] = String(api.lastErrorCode);
  }
}
out.commit = JSON.parse(JSON.stringify(api.renderCommitCMI(true, true)));
process.stdout.write(JSON.stringify(out));
