// Preloaded by bench/profile.mjs (`--tool cpuprof`) into the server it profiles, which it spawns
// with an IPC channel. V8's sampling profiler runs (through node:inspector, in-process) only
// between the two messages, so the profile holds the measured window and nothing else:
//   { profiler: 'start', intervalUs }  ->  { profiler: 'started' }
//   { profiler: 'stop', file }         ->  { profiler: 'stopped', file }   (the .cpuprofile written)
'use strict';

const fs = require('node:fs');
const inspector = require('node:inspector');

if (typeof process.send === 'function') {
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));

  process.on('message', async (msg) => {
    if (!msg || typeof msg !== 'object') return;
    if (msg.profiler === 'start') {
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: msg.intervalUs });
      await post('Profiler.start');
      process.send({ profiler: 'started' });
    } else if (msg.profiler === 'stop') {
      const { profile } = await post('Profiler.stop');
      fs.writeFileSync(msg.file, JSON.stringify(profile));
      process.send({ profiler: 'stopped', file: msg.file });
    }
  });
  process.on('disconnect', () => process.exit(0));
  if (process.channel && typeof process.channel.unref === 'function') process.channel.unref();
}
