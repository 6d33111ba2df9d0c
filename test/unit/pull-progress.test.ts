import { describe, expect, it } from 'vitest';
import { ProgressReader } from '../../main/engine/rewrite/pull-progress';

describe('ProgressReader', () => {
  it('passes on lines that are JSON but no progress message (null, numbers, arrays) without failing the pull', () => {
    const reader = new ProgressReader();
    const lines = reader.push('null\r\n42\r\n[1]\r\n{"status":"Pulling fs layer","id":"a1"}\r\n');
    expect(lines.map((l) => l.message)).toEqual([null, null, null, { status: 'Pulling fs layer', id: 'a1' }]);
    expect(reader.error).toBeNull();
  });

  it('takes the first error line as the pull’s error', () => {
    const reader = new ProgressReader();
    reader.push('{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}\r\n{"error":"later"}\r\n');
    expect(reader.error).toBe('manifest unknown');
  });
});
