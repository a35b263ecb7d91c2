// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";
})();
