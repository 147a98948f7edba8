/**
 * Where the socket server finds the hash of the app's typed-client contract (the `contract` frame):
 * given from above (lib/contract/ builds it from the AsyncAPI document), so that the gateway needs
 * neither the document nor its builder.
 */
export interface ContractHashSource {
  readonly hash: string;
}

/** The injection token of the {@link ContractHashSource}. */
export const CONTRACT_HASH_SOURCE = Symbol('CONTRACT_HASH_SOURCE');
