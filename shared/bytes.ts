// How byte counts read wherever a person sees them (the UI and the cache's hit-or-miss words):
// compact, the same everywhere, in decimal units: the config reads `maxSize: 20GB` as 20e9
// bytes and docker prints sizes so, and 20GB must not read back as "19 GB". Pure.

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 999.5 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}
