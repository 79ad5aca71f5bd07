// Added by book/_ext/book_site.py. A display equation wider than its box scrolls inside it
// (the theme gives the box overflow: auto); mark such boxes so book.css can fade the edge
// where part of the equation is hidden, a cue that there is more to scroll to.
(function () {
  const SELECTOR = 'div.math mjx-container[display="true"]';
  function mark(box) {
    const scrolls = box.scrollWidth > box.clientWidth + 1;
    box.classList.toggle("eq-scrolls", scrolls);
    box.classList.toggle("eq-at-start", box.scrollLeft <= 1);
    box.classList.toggle("eq-at-end", box.scrollLeft + box.clientWidth >= box.scrollWidth - 1);
  }
  function markAll() {
    document.querySelectorAll(SELECTOR).forEach(mark);
  }
  document.addEventListener("scroll", (event) => {
    if (event.target instanceof Element && event.target.matches(SELECTOR)) mark(event.target);
  }, true);
  window.addEventListener("resize", markAll);
  window.addEventListener("load", () => {
    const startup = window.MathJax && window.MathJax.startup;
    (startup && startup.promise ? startup.promise : Promise.resolve()).then(markAll);
    if (document.fonts) document.fonts.ready.then(markAll);
  });
})();
