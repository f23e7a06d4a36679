import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { RENAMED_TIME_ZONES } from '../../core/subscribers/time-zones.js';

/**
 * Pre-selects the browser's time zone in the signup form. Served as a file because the CSP
 * allows scripts from this origin only; the form works the same without it (UTC stays).
 */
const TIMEZONE_SCRIPT = `(function () {
  var select = document.querySelector('select[data-autodetect]');
  if (!select || typeof Intl === 'undefined') return;
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  // Browsers report some zones by retired names (Chrome: Asia/Calcutta); the list has current ones.
  var renamed = ${JSON.stringify(RENAMED_TIME_ZONES)};
  if (Object.prototype.hasOwnProperty.call(renamed, zone)) zone = renamed[zone];
  if (!zone || select.value !== 'UTC') return;
  var found = false;
  for (var i = 0; i < select.options.length; i++) { if (select.options[i].value === zone) { found = true; break; } }
  if (!found) { var option = document.createElement('option'); option.value = zone; option.textContent = zone; select.insertBefore(option, select.firstChild); }
  select.value = zone;
})();
`;

/**
 * The filter of the arXiv category list (signup and preferences): shows the box, narrows the
 * list as the reader types (every typed word must begin a word of a category's code, name or
 * archive: "language" finds cs.CL, so do "cs.CL" and "comput lang"), opens the archives that match and says how many
 * match in a polite live region. Without it the archives are plain <details> to open.
 */
const SOURCES_SCRIPT = `(function () {
  var box = document.querySelector('[data-arxiv-filter]');
  var input = document.getElementById('arxiv-filter');
  var list = document.getElementById('arxiv-list');
  var count = document.getElementById('arxiv-count');
  if (!box || !input || !list || !count) return;
  var archives = Array.prototype.slice.call(list.querySelectorAll('details'));
  var wasOpen = archives.map(function (archive) { return archive.open; });
  var items = Array.prototype.slice.call(list.querySelectorAll('li'));
  // The words a typed word may begin: each word of the code, name and archive, and the parts of
  // a code ("cs.CL": "cs.cl", "cs", "cl"), so "language" and "cs.CL" find cs.CL but
  // "cs.cl" does not find physics.class-ph.
  var words = items.map(function (item) {
    var found = [];
    var archive = item.closest('details').querySelector('summary').firstChild.nodeValue;
    (item.textContent + ' ' + archive).toLowerCase().split(/[\\s,;:()]+/).forEach(function (word) {
      if (!word) return;
      found.push(word);
      if (/[.-]/.test(word)) found.push.apply(found, word.split(/[.-]/));
    });
    return found;
  });
  var total = items.length;
  var announce;
  box.hidden = false;
  function say(text) {
    // Announced once the reader pauses, not at every key.
    clearTimeout(announce);
    announce = setTimeout(function () { count.textContent = text; }, 250);
  }
  function filter() {
    var typed = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var shown = 0;
    items.forEach(function (item, index) {
      var match = typed.every(function (start) {
        return words[index].some(function (word) { return word.indexOf(start) === 0; });
      });
      item.hidden = !match;
      if (match) shown += 1;
    });
    archives.forEach(function (archive, index) {
      var visible = archive.querySelectorAll('li:not([hidden])').length;
      archive.hidden = visible === 0;
      archive.open = typed.length > 0 ? visible > 0 : wasOpen[index];
    });
    if (typed.length === 0) say(total + ' categories');
    else if (shown === 0) say('No category matches');
    else say(shown === 1 ? '1 category matches' : shown + ' categories match');
  }
  input.addEventListener('input', filter);
  input.addEventListener('keydown', function (event) {
    // Enter in the filter should not send the whole form; Escape empties the filter.
    if (event.key === 'Enter') event.preventDefault();
    if (event.key === 'Escape' && input.value !== '') { event.preventDefault(); input.value = ''; filter(); }
  });
})();
`;

const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect x="3" y="5" width="26" height="22" rx="4" fill="#eef0ff" stroke="#4338ca" stroke-width="2"/><path d="M8 11h10M8 15.5h16M8 20h16" stroke="#4338ca" stroke-width="2" stroke-linecap="round"/><rect x="20" y="9" width="5" height="4" rx="1" fill="#4338ca"/></svg>`;

export function assetRoutes(): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/assets/favicon.svg', { schema: { tags: ['readers'], summary: 'Site icon (SVG)' } }, async (_request, reply) =>
      reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(FAVICON_SVG),
    );
    app.get('/assets/sources.js', { schema: { tags: ['readers'], summary: 'Script that filters the arXiv category list on the signup and preferences pages' } }, async (_request, reply) =>
      reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(SOURCES_SCRIPT),
    );
    app.get('/assets/timezone.js', { schema: { tags: ['readers'], summary: 'Script that pre-selects the browser time zone on the signup form' } }, async (_request, reply) =>
      reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(TIMEZONE_SCRIPT),
    );
  };
}
