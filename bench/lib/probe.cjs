// Preloaded into every benchmarked Node server (`node --expose-gc --require bench/lib/probe.cjs …`)
// by bench/run.mjs, which spawns the server with an IPC channel. It answers
//   { probe: 'mem', id }  ->  { probe: 'mem', id, pid, mem: process.memoryUsage() after forced GC }
// and announces itself with { probe: 'ready', pid } once loaded. When the runner goes away
// (the IPC channel closes) the server exits, so a crashed runner leaves no server behind.
'use strict';

if (typeof process.send === 'function') {
  const gc = typeof global.gc === 'function' ? global.gc : null;
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  process.on('message', async (msg) => {
    if (!msg || typeof msg !== 'object' || typeof msg.probe !== 'string') return;
    if (msg.probe === 'mem') {
      if (gc) {
        gc();
        await settle();
        gc();
        await settle();
      }
      process.send({ probe: 'mem', id: msg.id, pid: process.pid, gc: !!gc, mem: process.memoryUsage() });
    }
  });
  process.on('disconnect', () => process.exit(0));
  // The channel must not be what keeps a server alive, nor hold one up at exit.
  if (process.channel && typeof process.channel.unref === 'function') process.channel.unref();
  process.send({ probe: 'ready', pid: process.pid });
}
