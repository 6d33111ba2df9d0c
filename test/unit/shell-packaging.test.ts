import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { trayIconFile, type TrayIconState } from '../../main/shell/tray-icon';
import { projectRoot } from '../harness/build';

const root = (...parts: string[]) => join(projectRoot, ...parts);
const config = parse(readFileSync(root('electron-builder.yml'), 'utf8'));
const pkg = JSON.parse(readFileSync(root('package.json'), 'utf8'));

describe('electron-builder.yml', () => {
  // Loading app-builder-lib's module tree and compiling its JSON schema takes about 4 s on a
  // loaded 2-core machine, beyond the 5 s default when the machine is busier still.
  it('is a configuration electron-builder itself accepts', { timeout: 60_000 }, async () => {
    // electron-builder's own validator (the one `npm run dist` runs first), against its schema.
    const { validateConfiguration } = createRequire(import.meta.url)(root('node_modules/app-builder-lib/out/util/config/config.js'));
    await expect(validateConfiguration(structuredClone(config), { isEnabled: false })).resolves.toBeUndefined();
    await expect(validateConfiguration({ ...structuredClone(config), linux: { tagret: 'deb' } }, { isEnabled: false })).rejects.toThrow(/Invalid configuration object[\s\S]*configuration\.linux/);
  });

  it('names the app and pins the Electron version the project depends on', () => {
    expect(config.appId).toBe('dev.docker-caching.app');
    expect(config.productName).toBe('docker-caching');
    expect(config.electronVersion).toBe(pkg.devDependencies.electron);
  });

  it('packages only the build output, which holds the app entry point', () => {
    expect(config.files).toContain('dist/**');
    expect(config.files.filter((f: string) => !f.startsWith('!') && f !== 'package.json')).toEqual(['dist/**']);
    expect(pkg.main).toMatch(/^dist\//);
  });

  it('builds an AppImage and a deb that does not depend on libappindicator', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.deb.depends.length).toBeGreaterThan(0);
    expect(JSON.stringify(config)).not.toMatch(/appindicator/i);
  });

  it('builds a macOS dmg without a Dock icon and a Windows nsis installer', () => {
    expect(config.mac.target).toBe('dmg');
    expect(config.mac.extendInfo.LSUIElement).toBe(true);
    expect(config.win.target).toBe('nsis');
  });

  it('locks the packaged app down with fuses', () => {
    expect(config.electronFuses).toMatchObject({ runAsNode: false, enableNodeOptionsEnvironmentVariable: false, enableNodeCliInspectArguments: false, onlyLoadAppFromAsar: true, grantFileProtocolExtraPrivileges: false });
  });

  it('names only files that exist', () => {
    const named = [config.directories.buildResources, config.mac.icon, config.win.icon, config.linux.icon, ...config.extraResources.map((r: { from: string }) => r.from)];
    expect(named).toHaveLength(6);
    for (const file of named) expect(existsSync(root(file)), file).toBe(true);
  });

  it('ships every tray icon the app can ask for, with its @2x', () => {
    const tray = config.extraResources.find((r: { to: string }) => r.to === 'tray').from;
    for (const state of ['on', 'off', 'error'] as TrayIconState[]) {
      for (const [platform, dark] of [['darwin', false], ['linux', false], ['win32', false], ['win32', true]] as const) {
        const file = trayIconFile(state, platform, dark);
        expect(existsSync(root(tray, file)), file).toBe(true);
        expect(existsSync(root(tray, file.replace('.png', '@2x.png'))), file).toBe(true);
      }
    }
  });
});

/** Decodes the 8-bit RGBA, unfiltered PNGs our generator writes. */
function decodePng(file: Buffer): { width: number; height: number; rgba: Buffer } {
  expect(file.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < file.length) {
    const length = file.readUInt32BE(offset);
    const type = file.toString('ascii', offset + 4, offset + 8);
    const data = file.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([data[8], data[9]]).toEqual([8, 6]);
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width * 4 + 1)]).toBe(0);
    raw.copy(rgba, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  }
  return { width, height, rgba };
}

describe('icons', () => {
  const trayFiles = readdirSync(root('assets', 'tray')).filter((f) => f.endsWith('.png'));

  it('are exactly what assets/generate-icons.mjs draws', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dc-icons-'));
    const { generateIcons } = await import(root('assets', 'generate-icons.mjs'));
    const generated: string[] = generateIcons(out);
    expect(generated.filter((f) => f.startsWith('tray/')).sort()).toEqual(trayFiles.map((f) => `tray/${f}`).sort());
    for (const file of generated) expect(readFileSync(join(out, file)).equals(readFileSync(root('assets', file))), file).toBe(true);
  }, 60_000);

  it('are 16 px tray images with 32 px @2x companions, each with something drawn', () => {
    expect(trayFiles).toHaveLength(18);
    for (const file of trayFiles) {
      const { width, height, rgba } = decodePng(readFileSync(root('assets', 'tray', file)));
      const size = file.includes('@2x') ? 32 : 16;
      expect([width, height], file).toEqual([size, size]);
      // Paused icons are drawn faded (alpha ~40%).
      const drawn = rgba.filter((_, i) => i % 4 === 3 && rgba[i]! > 80).length;
      expect(drawn, file).toBeGreaterThan(size * size * 0.1);
    }
  });

  it('draws macOS template images in black on alpha only', () => {
    for (const file of trayFiles.filter((f) => f.includes('Template'))) {
      const { rgba } = decodePng(readFileSync(root('assets', 'tray', file)));
      for (let i = 0; i < rgba.length; i += 4) expect(rgba[i]! + rgba[i + 1]! + rgba[i + 2]!, file).toBe(0);
    }
  });

  it('tells the states apart', () => {
    const pixels = (name: string) => decodePng(readFileSync(root('assets', 'tray', name))).rgba;
    expect(pixels('tray-onDark.png').equals(pixels('tray-offDark.png'))).toBe(false);
    expect(pixels('tray-onDark.png').equals(pixels('tray-errorDark.png'))).toBe(false);
    const red = (rgba: Buffer) => rgba.some((_, i) => i % 4 === 0 && rgba[i]! > 200 && rgba[i + 1]! < 100 && rgba[i + 3]! > 200);
    expect(red(pixels('tray-errorDark.png'))).toBe(true);
    expect(red(pixels('tray-onDark.png'))).toBe(false);
  });

  it('has a 512 px app icon, an ico up to 256 px and an icns up to 1024 px, all of PNGs', () => {
    expect(decodePng(readFileSync(root('assets', 'icon.png')))).toMatchObject({ width: 512, height: 512 });

    const ico = readFileSync(root('assets', 'icon.ico'));
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1]);
    const sizes = Array.from({ length: ico.readUInt16LE(4) }, (_, i) => {
      const entry = 6 + i * 16;
      const png = ico.subarray(ico.readUInt32LE(entry + 12), ico.readUInt32LE(entry + 12) + ico.readUInt32LE(entry + 8));
      return decodePng(png).width;
    });
    expect(sizes).toEqual([16, 24, 32, 48, 64, 128, 256]);

    const icns = readFileSync(root('assets', 'icon.icns'));
    expect(icns.toString('ascii', 0, 4)).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const types: Record<string, number> = {};
    for (let offset = 8; offset < icns.length; offset += icns.readUInt32BE(offset + 4)) {
      types[icns.toString('ascii', offset, offset + 4)] = decodePng(icns.subarray(offset + 8, offset + icns.readUInt32BE(offset + 4))).width;
    }
    expect(types).toMatchObject({ ic07: 128, ic08: 256, ic09: 512, ic10: 1024, icp4: 16, icp5: 32 });
  });
});
