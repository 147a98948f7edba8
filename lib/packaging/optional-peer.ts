import { createRequire } from 'node:module';

/**
 * The optional peer dependencies: installed by the apps that use the feature, and loaded only then
 * (an app that uses neither Redis nor JWT nor metrics installs and loads none of them).
 */
export type OptionalPeer = 'ioredis' | 'jose' | 'prom-client' | '@opentelemetry/api';

/** What a feature needs to run, told to the user who enabled it without installing the package. */
export function missingOptionalPeerMessage(name: OptionalPeer, feature: string): string {
  return (
    `nestjs-socketapi: ${feature} needs the package '${name}', an optional peer dependency that is not installed. ` +
    `Install it in the app: npm i ${name}`
  );
}

const resolveFromHere = createRequire(import.meta.url).resolve;

/**
 * Throws the clear error of {@link missingOptionalPeerMessage} when `name` cannot be found from this
 * package, at once: for the features set up synchronously (`jwtAuthenticator()`, `new SocketApiEmitter()`),
 * so that the app fails as it starts rather than at its first client.
 */
export function assertOptionalPeerInstalled(name: OptionalPeer, feature: string): void {
  try {
    resolveFromHere(name);
  } catch (error) {
    if (isModuleNotFound(error, name))
      throw new Error(missingOptionalPeerMessage(name, feature), {
        cause: error,
      });
    throw error;
  }
}

/**
 * Imports an optional peer (`load` is `() => import(name)`, written at the call site so that the
 * module's types and bundlers' static analysis see it). A package that is not installed gives the
 * error of {@link missingOptionalPeerMessage}; any other failure to load it is rethrown as it is.
 */
export async function loadOptionalPeer<Module>(
  name: OptionalPeer,
  feature: string,
  load: () => Promise<Module>,
): Promise<Module> {
  try {
    return await load();
  } catch (error) {
    if (isModuleNotFound(error, name))
      throw new Error(missingOptionalPeerMessage(name, feature), {
        cause: error,
      });
    throw error;
  }
}

/** Node's "not found" for `name` itself (ESM or CommonJS resolution), not for a file it imports. */
function isModuleNotFound(error: unknown, name: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    (error.message.includes(`'${name}'`) || error.message.includes(`"${name}"`))
  );
}
