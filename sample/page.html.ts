/** The test page served at GET /: plain HTML and inline JS, no external resources. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nestjs-socketapi sample</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; max-width: 60rem; }
  fieldset { margin: 0 0 .75rem; border: 1px solid #ccc; }
  input[type=number] { width: 5rem; }
  input.wide, textarea { width: 100%; box-sizing: border-box; }
  #log { height: 18rem; overflow: auto; background: #111; color: #ddd; padding: .5rem;
         font: 12px/1.4 ui-monospace, monospace; white-space: pre-wrap; }
  .out { color: #8cf; } .in { color: #9e9; } .err { color: #f88; } .sys { color: #aaa; }
</style>
</head>
<body>
<h1>nestjs-socketapi sample</h1>
<p>Status: <b id="status">connecting…</b>. Reload with <a href="?role=admin">?role=admin</a> to be allowed <code>admin_stats</code>.</p>

<fieldset><legend>add_numbers</legend>
  <input id="a" type="number" value="5"> + <input id="b" type="number" value="3">
  <button id="add">Call</button>
</fieldset>

<fieldset><legend>chat</legend>
  <button id="sub">Subscribe</button> <button id="unsub">Unsubscribe</button>
  <input id="msg" value="Hello everyone!"> <button id="sendMsg">send_message</button>
</fieldset>

<fieldset><legend>admin_stats</legend>
  <button id="admin">Call admin_stats</button>
</fieldset>

<fieldset><legend>Raw JSON</legend>
  <textarea id="raw" rows="3">{"type":"action","channel":"create_user","data":{"user":{"username":"alice","email":"alice@example.com","age":25,"address":{"street":"123 Main St","city":"Springfield","zipcode":"12345"}}},"id":1}</textarea>
  <button id="sendRaw">Send</button>
</fieldset>

<fieldset><legend>Frames <button id="clear">Clear</button></legend>
  <div id="log"></div>
</fieldset>

<script>
(() => {
  const $ = (id) => document.getElementById(id);
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/' + location.search;
  const ws = new WebSocket(url);
  let nextId = 1;

  function log(cls, text) {
    const line = document.createElement('div');
    line.className = cls;
    line.textContent = new Date().toLocaleTimeString() + '  ' + text;
    $('log').appendChild(line);
    $('log').scrollTop = $('log').scrollHeight;
  }

  function sendText(text) {
    if (ws.readyState !== WebSocket.OPEN) return log('err', 'not connected');
    ws.send(text);
    log('out', '→ ' + text);
  }

  function send(type, channel, data) {
    const message = { type, channel, id: nextId++ };
    if (data !== undefined) message.data = data;
    sendText(JSON.stringify(message));
  }

  ws.onopen = () => { $('status').textContent = 'connected to ' + url; log('sys', 'open ' + url); };
  ws.onclose = (e) => { $('status').textContent = 'closed (' + e.code + ')'; log('sys', 'close ' + e.code + ' ' + e.reason); };
  ws.onerror = () => log('err', 'socket error');
  ws.onmessage = (e) => {
    let cls = 'in';
    try { if (JSON.parse(e.data).type === 'error') cls = 'err'; } catch {}
    log(cls, '← ' + e.data);
  };

  $('add').onclick = () => send('action', 'add_numbers', { a: Number($('a').value), b: Number($('b').value) });
  $('sub').onclick = () => send('subscribe', 'chat');
  $('unsub').onclick = () => send('unsubscribe', 'chat');
  $('sendMsg').onclick = () => send('action', 'send_message', { message: $('msg').value });
  $('admin').onclick = () => send('action', 'admin_stats');
  $('sendRaw').onclick = () => sendText($('raw').value);
  $('clear').onclick = () => { $('log').textContent = ''; };
})();
</script>
</body>
</html>
`;
