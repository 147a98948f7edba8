import { SocketApiClient, type SocketApiClientOptions } from '../client/src/index.js';
import { contractHash, type ApiContract } from './api-contract.js';

/**
 * A client of the sample, typed by its generated contract (sample/api-contract.ts, written by
 * `npm run contract:sample`): action and channel names, their `data` and their replies are checked
 * by the compiler, and the client tells when the server runs other handlers than it was built for.
 *
 * ```ts
 * const client = sampleClient('ws://localhost:3000/');
 * const sum = await client.action('add_numbers', { a: 5, b: 3 }); // sum: number
 * client.contractMismatch$.subscribe(() => showReloadBanner());
 * ```
 */
export function sampleClient(url: string, options: SocketApiClientOptions = {}): SocketApiClient<ApiContract> {
  return new SocketApiClient<ApiContract>(url, { contractHash, ...options });
}
