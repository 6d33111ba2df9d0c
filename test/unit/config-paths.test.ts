import { describe, expect, it } from 'vitest';
import { defaultConfigPath } from '../../main/engine/config/config-paths';

describe('default config location', () => {
  it('uses $XDG_CONFIG_HOME on Linux when it is set', () => {
    expect(defaultConfigPath({ env: { XDG_CONFIG_HOME: '/xdg' }, home: '/home/me', platform: 'linux' })).toBe(
      '/xdg/docker-caching/config.yaml',
    );
  });

  it('falls back to ~/.config on Linux when $XDG_CONFIG_HOME is unset, empty or relative', () => {
    for (const env of [{}, { XDG_CONFIG_HOME: '' }, { XDG_CONFIG_HOME: 'relative/dir' }]) {
      expect(defaultConfigPath({ env, home: '/home/me', platform: 'linux' })).toBe('/home/me/.config/docker-caching/config.yaml');
    }
  });

  it('follows the XDG rule on other Unixes too', () => {
    expect(defaultConfigPath({ env: {}, home: '/home/me', platform: 'freebsd' })).toBe('/home/me/.config/docker-caching/config.yaml');
  });

  it('uses Application Support on macOS, whatever XDG says', () => {
    expect(defaultConfigPath({ env: { XDG_CONFIG_HOME: '/xdg' }, home: '/Users/me', platform: 'darwin' })).toBe(
      '/Users/me/Library/Application Support/docker-caching/config.yaml',
    );
  });

  it('uses %APPDATA% on Windows, or the usual roaming folder when it is unset', () => {
    expect(defaultConfigPath({ env: { APPDATA: 'C:\\Users\\me\\AppData\\Roaming' }, home: 'C:\\Users\\me', platform: 'win32' })).toBe(
      'C:\\Users\\me\\AppData\\Roaming\\docker-caching\\config.yaml',
    );
    expect(defaultConfigPath({ env: {}, home: 'C:\\Users\\me', platform: 'win32' })).toBe(
      'C:\\Users\\me\\AppData\\Roaming\\docker-caching\\config.yaml',
    );
  });
});
