/** How `loom status` and the dashboard page write an uptime ("45s", "3m2s", "2h5m"); nothing imported, so the page can bundle it. */
export function formatUptime(sec?: number): string {
  if (sec === undefined) return "";
  if (sec < 60) return `${sec}s`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m${sec % 60}s`;
  return `${Math.floor(sec / 3600)}h${Math.floor((sec % 3600) / 60)}m`;
}
