/** Names passed to `@InjectChannel()`, gathered as classes are defined, before the app is scanned. */
const injectedChannelNames = new Set<string>();

export function getChannelToken(name: string): string {
  return `SocketApiChannel:${name}`;
}

export function registerInjectedChannel(name: string): void {
  injectedChannelNames.add(name);
}

export function getInjectedChannelNames(): string[] {
  return [...injectedChannelNames];
}
