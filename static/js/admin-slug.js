// Fills the article slug from the title as the editor types, with the same
// transliteration the server uses (the map is printed into the page by the admin).
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    var mapNode = document.getElementById("transliteration-map");
    var title = document.getElementById("id_title");
    var slug = document.getElementById("id_slug");
    if (!mapNode || !title || !slug) return;
    var map = JSON.parse(mapNode.textContent);
    var maxLength = parseInt(slug.getAttribute("maxlength") || "80", 10);
    var touched = slug.value !== "";

    function slugify(text) {
      text = text.normalize("NFC");  // as the server does: decomposed "й" is still "й"
      var latin = "";
      for (var i = 0; i < text.length; i++) {
        var ch = text[i].toLowerCase();
        latin += Object.prototype.hasOwnProperty.call(map, ch) ? map[ch] : ch;
      }
      var words = latin.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").match(/[a-z0-9]+/g) || [];
      var out = "";
      for (var j = 0; j < words.length; j++) {
        var candidate = out ? out + "-" + words[j] : words[j];
        if (candidate.length > maxLength) break;
        out = candidate;
      }
      return out;
    }

    slug.addEventListener("input", function () { touched = slug.value !== ""; });
    title.addEventListener("input", function () {
      if (!touched) slug.value = slugify(title.value);
    });
  });
})();
