import type { AppConfig } from '../api/schemas.js';

/** The count against the minimum ("7 of 10 photos") until it is reached, then the plain count. */
export function photoCountText(count: number, config: Pick<AppConfig, 'minPhotos'>): string {
  return count < config.minPhotos ? `${count} of ${config.minPhotos} photos` : `${count} photo${count === 1 ? '' : 's'}`;
}
