import { PageText } from './page.messages.js';

/** Shows what a call gives in `output`: the reply as JSON, or the error's code and message. */
export async function showReply(output: HTMLElement, call: () => Promise<unknown>): Promise<void> {
  output.className = '';
  output.textContent = PageText.waiting;
  try {
    output.textContent = JSON.stringify(await call());
  } catch (error) {
    output.className = 'err';
    output.textContent = PageText.failure(error);
  }
}
