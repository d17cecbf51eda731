(function () {
  "use strict";
  var search = document.getElementById("search");
  var section = document.getElementById("filter-section");
  var severity = document.getElementById("filter-severity");
  var rule = document.getElementById("filter-rule");
  var shown = document.getElementById("shown-count");
  var rank = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };
  function apply() {
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var minRank = severity.value ? rank[severity.value] : 0;
    var count = 0;
    var groups = document.querySelectorAll("tbody.group");
    for (var g = 0; g < groups.length; g++) {
      var rows = groups[g].querySelectorAll("tr.finding");
      var visible = 0;
      for (var i = 0; i < rows.length; i++) {
        var d = rows[i].dataset;
        var ok = (!section.value || d.section === section.value) &&
          Number(d.rank) >= minRank &&
          (!rule.value || d.rule === rule.value) &&
          words.every(function (w) { return d.search.indexOf(w) !== -1; });
        rows[i].hidden = !ok;
        if (ok) { visible++; }
      }
      groups[g].hidden = visible === 0;
      count += visible;
    }
    shown.textContent = String(count);
  }
  [search, section, severity, rule].forEach(function (el) {
    el.addEventListener("input", apply);
    el.addEventListener("change", apply);
  });
  var rows = document.querySelectorAll("tr.section-row");
  for (var r = 0; r < rows.length; r++) {
    rows[r].addEventListener("click", function () {
      section.value = this.dataset.section;
      apply();
      document.getElementById("findings").scrollIntoView();
    });
  }
  var params = new URLSearchParams(location.hash.slice(1));
  if (params.get("q")) { search.value = params.get("q"); }
  if (params.get("section")) { section.value = params.get("section"); }
  if (params.get("severity")) { severity.value = params.get("severity"); }
  if (params.get("rule")) { rule.value = params.get("rule"); }
  apply();
}());
