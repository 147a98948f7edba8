import v8 from 'node:v8';
import vm from 'node:vm';

/** `global.gc` if Node was started with --expose-gc; otherwise the same function, obtained from V8. */
export function forceGc(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  // Turning the flag on at run time makes V8 install `gc` on contexts created afterwards.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as unknown;
  if (typeof gc !== 'function') throw new Error('cannot force a garbage collection in this process');
  return gc as () => void;
}
