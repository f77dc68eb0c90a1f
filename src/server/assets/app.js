// Marks the page as scripted so a browser test can tell the asset loaded.
(function () {
  "use strict";
  var status = document.getElementById("status");
  if (status) {
    status.textContent = "Static assets: loaded, script ran at " + new Date().toISOString();
  }
})();
