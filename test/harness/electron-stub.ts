// Stands in for `electron` under test: the real module downloads its binary on first
// require, which these machines cannot do. Shell modules take Electron objects by
// injection, so nothing should call into this; if something does, it fails loudly.
const fail = (name: string) => () => {
  throw new Error(`electron.${name} used under test: inject a fake instead`);
};
export const app = new Proxy({}, { get: (_t, p) => fail(`app.${String(p)}`) });
export const BrowserWindow = fail('BrowserWindow');
export const Tray = fail('Tray');
export const Menu = new Proxy({}, { get: (_t, p) => fail(`Menu.${String(p)}`) });
export const ipcMain = new Proxy({}, { get: (_t, p) => fail(`ipcMain.${String(p)}`) });
export const ipcRenderer = new Proxy({}, { get: (_t, p) => fail(`ipcRenderer.${String(p)}`) });
export const contextBridge = new Proxy({}, { get: (_t, p) => fail(`contextBridge.${String(p)}`) });
export default {};
