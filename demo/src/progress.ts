/** A progress bar and its status line, updated at most once per percent. */
import { formatBytes } from './dom';

export interface Progress {
  update(done: number): void;
  finish(message: string): void;
  fail(): void;
}

export function progress(bar: HTMLProgressElement, status: HTMLElement, verb: string, total: number): Progress {
  let shown = -1;
  bar.hidden = false;
  bar.value = 0;
  return {
    update(done) {
      const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
      if (percent === shown) return;
      shown = percent;
      bar.value = total === 0 ? 1 : done / total;
      status.textContent = `${verb}: ${formatBytes(done)} of ${formatBytes(total)} (${percent}%)`;
    },
    finish(message) {
      bar.value = 1;
      status.textContent = message;
    },
    fail() {
      bar.hidden = true;
      status.textContent = '';
    },
  };
}
