/**
 * Progress of long work on stderr: a live bar with rate and ETA on a terminal, a plain line
 * every few seconds otherwise (logs, CI).
 */
export function progressReporter(label: string, initialTotal: number, stream: NodeJS.WriteStream = process.stderr) {
  let total = initialTotal;
  const startedAt = Date.now();
  const interactive = stream.isTTY === true;
  let lastPrintAt = 0;
  const render = (done: number, final: boolean) => {
    const now = Date.now();
    if (!final && now - lastPrintAt < (interactive ? 200 : 5000)) return;
    lastPrintAt = now;
    const seconds = Math.max(0.001, (now - startedAt) / 1000);
    const rate = done / seconds;
    const eta = rate > 0 && total > done ? `${Math.ceil((total - done) / rate)} s` : '0 s';
    const share = total > 0 ? Math.min(1, done / total) : 1;
    const text = `${label}: ${done}/${total} (${(share * 100).toFixed(1)}%) ${Math.round(rate)}/s ETA ${eta}`;
    if (interactive) {
      const bar = '#'.repeat(Math.round(share * 30)).padEnd(30, '.');
      stream.write(`\r[${bar}] ${text}${final ? '\n' : ''}`);
    } else {
      stream.write(`${text}\n`);
    }
  };
  return {
    /** `newTotal`: the work grew (or shrank) meanwhile. */
    update: (done: number, newTotal = total) => {
      total = newTotal;
      render(done, false);
    },
    finish: (done: number) => render(done, true),
  };
}
