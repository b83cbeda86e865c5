// panel.js - conveniences only: every page works without it.
// A form with data-confirm="question" asks before it is sent.
"use strict";
document.addEventListener("submit", function (ev) {
	var q = ev.target.getAttribute("data-confirm");
	if (q && !window.confirm(q)) {
		ev.preventDefault();
	}
});
