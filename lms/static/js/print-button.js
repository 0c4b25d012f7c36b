// The "Print" button of a page made for printing (the manager's list of this week's
// to-dos): shown only when JavaScript runs, it opens the browser's print dialogue.
// Without JavaScript the browser's own print (Ctrl+P) does the same.
(function () {
  "use strict";
  if (typeof window.print !== "function") { return; }
  var buttons = document.querySelectorAll("button[data-print]");
  Array.prototype.forEach.call(buttons, function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
