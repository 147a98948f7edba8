/**
 * A chat payload's text: `{ message }` as ChatService and RoomsService publish it, any other payload as
 * JSON. Whoever sent it chose it: the page shows it as text (`textContent`), never as markup.
 */
export function messageText(payload: unknown): string {
  const message = (payload as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : JSON.stringify(payload);
}
