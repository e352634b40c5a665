// The pusher-js client of the chatwire peer harness: connects to the
// peerserver's Pusher endpoint, subscribes to conversation.<run> and
// receives the run's message.sent events (pusher-js parses each event's
// JSON data itself). Prints one JSON result like peer.Result: CPU per
// message from process.cpuUsage() (the process's rusage), from the first
// message to the last; latency from the server's write time in the
// content, on the machine's one clock.
//
//   node client.js 127.0.0.1:PORT flood-100000
//   node client.js 127.0.0.1:PORT latency-2000-1000
const Pusher = require('pusher-js');

const [addr, run] = process.argv.slice(2);
const [host, port] = addr.split(':');
const parts = run.split('-');
const n = Number(parts[1]);
const latency = parts[0] === 'latency';

const now = () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e3)); // µs
let count = 0;
let t0, cpu0;
const lat = [];

const pusher = new Pusher('peer', {
  wsHost: host, wsPort: Number(port), forceTLS: false, enabledTransports: ['ws'],
  cluster: 'mt1', disableStats: true,
});
const channel = pusher.subscribe('conversation.' + run);
channel.bind('message.sent', (data) => {
  if (count === 0) {
    t0 = process.hrtime.bigint();
    cpu0 = process.cpuUsage();
  }
  if (latency) {
    const stamp = BigInt(data.content.slice(0, 19)) / 1000n; // ns → µs
    lat.push(Number(now() - stamp));
  }
  count++;
  if (count === n) {
    const cpu = process.cpuUsage(cpu0);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const per = n - 1;
    const res = {
      client: 'pusher-js', run, n,
      cpu_us_per_msg: (cpu.user + cpu.system) / per,
      msgs_per_sec: per / secs,
    };
    if (lat.length) {
      lat.sort((a, b) => a - b);
      const at = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
      res.p50_us = at(0.5);
      res.p99_us = at(0.99);
    }
    console.log(JSON.stringify(res));
    pusher.disconnect();
    process.exit(0);
  }
});
pusher.connection.bind('error', (err) => {
  console.error('pusher-js:', JSON.stringify(err));
  process.exit(1);
});
setTimeout(() => { console.error(`pusher-js: ${count} of ${n} after 5 minutes`); process.exit(1); }, 300000);
