/**
 * The test page served at GET /: markup only. Its script and style sheet are the bundle of
 * sample/page/ (served at /page.js and /page.css): no inline script or style, so the page runs under
 * a strict Content-Security-Policy, and no external resource.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>nestjs-socketapi sample</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/page.css">
<script type="module" src="/page.js"></script>
</head>
<body>
<h1>nestjs-socketapi sample</h1>
<p id="mismatch" class="banner" role="alert" hidden></p>
<p>Status: <output id="status" data-status="connecting">connecting…</output></p>
<p>Reload with <a href="?role=admin">?role=admin</a> to be allowed <code>admin_stats</code>.</p>

<fieldset><legend>add_numbers</legend>
  <input id="a" type="number" value="5" aria-label="a"> + <input id="b" type="number" value="3" aria-label="b">
  <button id="add" type="button">Call</button>
  <output id="add-reply"></output>
</fieldset>

<fieldset><legend>chat</legend>
  <button id="subscribe" type="button">Subscribe</button> <button id="unsubscribe" type="button" disabled>Unsubscribe</button>
  <input id="message" value="Hello everyone!" aria-label="message"> <button id="send" type="button">send_message</button>
  <output id="send-reply"></output>
  <ol id="chat"></ol>
</fieldset>

<fieldset><legend>Room (rooms/:roomId, send_to_room)</legend>
  <p>Open this page in two tabs, as <a href="?name=ada">?name=ada</a> and <a href="?name=bob">?name=bob</a>, and join the same room.</p>
  <input id="room-id" value="lobby" maxlength="64" aria-label="room id"> <button id="join" type="button">Join</button> <button id="leave" type="button" disabled>Leave</button>
  <p id="room-notice" class="banner" role="status" hidden></p>
  <div class="room">
    <div><h2>Members</h2><ul id="members"></ul></div>
    <div><h2>Messages</h2><ol id="room-messages"></ol></div>
  </div>
  <input id="room-message" value="Hello, room!" aria-label="room message"> <button id="send-to-room" type="button">send_to_room</button>
  <output id="room-reply"></output>
</fieldset>

<fieldset><legend>admin_stats</legend>
  <button id="admin" type="button">Call admin_stats</button>
  <output id="admin-reply"></output>
</fieldset>

<fieldset><legend>create_user (data as JSON)</legend>
  <textarea id="user" rows="3" aria-label="create_user data">{"user":{"username":"alice","email":"alice@example.com","age":25,"address":{"street":"123 Main St","city":"Springfield","zipcode":"12345"}}}</textarea>
  <button id="create-user" type="button">Call create_user</button>
  <output id="user-reply"></output>
</fieldset>

<fieldset><legend>Frames <button id="clear" type="button">Clear</button></legend>
  <div id="log"></div>
</fieldset>
</body>
</html>
`;
