/** The page's alert line: every failure is shown in words there, none only in the console. */
import { byId } from './dom';
import { explain } from './messages';

export function showError(error: unknown, action: string): void {
  const alert = byId('alert');
  alert.textContent = explain(error, action);
  alert.hidden = false;
}

export function clearError(): void {
  const alert = byId('alert');
  alert.hidden = true;
  alert.textContent = '';
}

/**
 * A click handler that runs `run` with `button` disabled (so a double click runs it once) and
 * reports what went wrong as trying to `action`.
 */
export function onClick(button: HTMLButtonElement, action: string, run: () => Promise<void>): void {
  button.addEventListener('click', async () => {
    if (button.disabled) return;
    button.disabled = true;
    clearError();
    try {
      await run();
    } catch (error) {
      showError(error, action);
    } finally {
      button.disabled = false;
    }
  });
}
