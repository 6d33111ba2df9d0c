// A temp folder other users can pass through (0711), in a system temp folder they can pass
// through too: the run's own temp root is private (0700), so group and other-user socket
// tests make theirs here, and remove it themselves.
import { chmodSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';

export function passableTempDir(prefix: string): string {
  const dir = mkdtempSync(join('/tmp', prefix));
  chmodSync(dir, 0o711);
  return dir;
}
