/**
 * Time zones as readers see and store them: current IANA names only. ICU (and so Node's Intl)
 * still calls some zones by names IANA retired years ago (it resolves "Asia/Kolkata" to
 * "Asia/Calcutta", "Europe/Kyiv" to "Europe/Kiev"), so its list is mapped through the renames
 * below before a reader sees it, and every posted or stored name is resolved the same way.
 */

/**
 * ICU's name → IANA's current name, for zones IANA renamed (tzdata's `backward` file). Country
 * links that are names in their own right (Europe/Bratislava, Europe/Vatican) are not renames
 * and stay as they are.
 */
export const RENAMED_TIME_ZONES: Readonly<Record<string, string>> = Object.freeze({
  'Africa/Asmera': 'Africa/Asmara',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Coral_Harbour': 'America/Atikokan',
  'America/Cordoba': 'America/Argentina/Cordoba',
  'America/Godthab': 'America/Nuuk',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Louisville': 'America/Kentucky/Louisville',
  'America/Mendoza': 'America/Argentina/Mendoza',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
});

/** Answers remembered per spelling: asking ICU costs ~100 µs; the bound stops a flood of odd spellings. */
const resolved = new Map<string, string | null>();
const MAX_REMEMBERED = 2000;

/**
 * The current IANA name of a zone given by any name ICU accepts ("asia/calcutta", "US/Eastern",
 * "Etc/UTC"), or null when it is not a time zone.
 */
export function canonicalTimeZone(name: string): string | null {
  const known = resolved.get(name);
  if (known !== undefined) return known;
  let canonical: string | null;
  try {
    const icuName = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    canonical = RENAMED_TIME_ZONES[icuName] ?? icuName;
  } catch {
    canonical = null;
  }
  if (resolved.size < MAX_REMEMBERED) resolved.set(name, canonical);
  return canonical;
}

let zoneList: readonly string[] | undefined;

/** Every zone a reader can choose, by current IANA name, UTC first and the rest sorted. */
export function selectableTimeZones(): readonly string[] {
  zoneList ??= [
    'UTC',
    ...[...new Set(Intl.supportedValuesOf('timeZone').map((zone) => RENAMED_TIME_ZONES[zone] ?? zone))].filter((zone) => zone !== 'UTC').sort(),
  ];
  return zoneList;
}
