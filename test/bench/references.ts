// The references a proxy is measured against: a bare Node byte pipe (no parsing, no logging),
// run as `node -e RAW_PIPE LISTEN_PATH UPSTREAM_PATH`.
export const RAW_PIPE = `
const { createServer, connect } = require('node:net');
const [listen, upstream] = process.argv.slice(1);
createServer({ allowHalfOpen: true }, (c) => {
  const u = connect({ path: upstream, allowHalfOpen: true });
  c.pipe(u); u.pipe(c);
  c.on('error', () => u.destroy()); u.on('error', () => c.destroy());
}).listen(listen);`;
