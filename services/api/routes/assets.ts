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

const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect x="3" y="5" width="26" height="22" rx="4" fill="#eef0ff" stroke="#4338ca" stroke-width="2"/><path d="M8 11h10M8 15.5h16M8 20h16" stroke="#4338ca" stroke-width="2" stroke-linecap="round"/><rect x="20" y="9" width="5" height="4" rx="1" fill="#4338ca"/></svg>`;

export function assetRoutes(): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/assets/favicon.svg', { schema: { tags: ['readers'], summary: 'Site icon (SVG)' } }, async (_request, reply) =>
      reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(FAVICON_SVG),
    );
    app.get('/assets/timezone.js', { schema: { tags: ['readers'], summary: 'Script that pre-selects the browser time zone on the signup form' } }, async (_request, reply) =>
      reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(TIMEZONE_SCRIPT),
    );
  };
}
