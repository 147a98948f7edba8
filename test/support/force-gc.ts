import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * A full garbage collection after which `process.memoryUsage()` counts only what is held. V8 frees
 * the memory of dead Buffers on a helper thread, which a loaded machine may run late: right after one
 * collection `arrayBuffers` still counted 180 MiB of dead Buffers here, 2 times in 8. A second
 * collection first finishes the sweep of the one before, so it collects twice.
 */
export function forceGc(): () => void {
  const gc = exposedGc();
  return () => {
    gc();
    gc();
  };
}

/** `global.gc` if Node was started with --expose-gc; otherwise the same function, obtained from V8. */
function exposedGc(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  // Turning the flag on at run time makes V8 install `gc` on contexts created afterwards.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as unknown;
  if (typeof gc !== 'function') throw new Error('cannot force a garbage collection in this process');
  return gc as () => void;
}
