// A pusher-js client for chatwire's interop tests (core/pusher/pushertest
// StartPusherJS runs it with node). It connects to a Pusher-protocol
// server, subscribes the channels it is told, and speaks JSON lines:
//
//   stdout: {"type":"connected","socket_id":...}
//           {"type":"subscribed","channel":...,"members":[ids]}
//           {"type":"event","channel":...,"event":...,"data":...,"user_id":...}
//           {"type":"member_added"|"member_removed","channel":...,"id":...}
//           {"type":"error","channel":...,"error":...}
//   stdin:  {"op":"subscribe","channel":...}
//           {"op":"whisper","channel":...,"event":"client-...","data":...}
//           {"op":"unsubscribe","channel":...}
//
// Configuration comes from the environment: PJS_HOST ("127.0.0.1:6001"),
// PJS_KEY, PJS_AUTH (channel auth endpoint), PJS_TOKEN (bearer token).
'use strict';
const Pusher = require('pusher-js');
const readline = require('readline');

const [host, port] = process.env.PJS_HOST.split(':');
const headers = { Authorization: 'Bearer ' + (process.env.PJS_TOKEN || '') };
const pusher = new Pusher(process.env.PJS_KEY, {
  cluster: 'mt1',
  wsHost: host,
  wsPort: Number(port),
  forceTLS: false,
  enabledTransports: ['ws'],
  disableStats: true,
  channelAuthorization: { endpoint: process.env.PJS_AUTH, transport: 'ajax', headers },
});

const out = (msg) => process.stdout.write(JSON.stringify(msg) + '\n');

pusher.connection.bind('connected', () => out({ type: 'connected', socket_id: pusher.connection.socket_id }));
pusher.connection.bind('error', (err) => out({ type: 'error', error: JSON.stringify(err) }));

function subscribe(name) {
  const channel = pusher.subscribe(name);
  channel.bind('pusher:subscription_succeeded', (members) => {
    const ids = [];
    if (members && typeof members.each === 'function') {
      members.each((m) => ids.push(String(m.id)));
    }
    ids.sort();
    out({ type: 'subscribed', channel: name, members: ids });
  });
  channel.bind('pusher:subscription_error', (err) => out({ type: 'error', channel: name, error: JSON.stringify(err) }));
  channel.bind('pusher:member_added', (m) => out({ type: 'member_added', channel: name, id: String(m.id) }));
  channel.bind('pusher:member_removed', (m) => out({ type: 'member_removed', channel: name, id: String(m.id) }));
  channel.bind_global((event, data) => {
    if (event.startsWith('pusher:') || event.startsWith('pusher_internal:') || event.startsWith('client-')) {
      return;
    }
    out({ type: 'event', channel: name, event, data });
  });
  // Client events: bound by name, as apps do, for the sender's user_id
  // (pusher-js passes it only to such bindings).
  channel.bind('client-typing', (data, metadata) =>
    out({ type: 'event', channel: name, event: 'client-typing', data, user_id: metadata && metadata.user_id }));
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const cmd = JSON.parse(line);
  switch (cmd.op) {
    case 'subscribe':
      subscribe(cmd.channel);
      break;
    case 'unsubscribe':
      pusher.unsubscribe(cmd.channel);
      out({ type: 'unsubscribed', channel: cmd.channel });
      break;
    case 'whisper':
      out({ type: 'whispered', ok: pusher.channel(cmd.channel).trigger(cmd.event, cmd.data) });
      break;
  }
});
rl.on('close', () => {
  pusher.disconnect();
  process.exit(0);
});
