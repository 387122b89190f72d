/** A day in milliseconds, for rules counted in days (quotas, retention). */
export const DAY_MS = 24 * 60 * 60_000;
