import { readFile } from 'node:fs/promises';

/**
 * Samples a child process's peak resident set (VmHWM, its peak so far) until stopped; the last
 * reading before it exits is its peak. Returns a function that stops sampling and gives bytes.
 */
export function samplePeakRss(pid: number | undefined, everyMs = 50): () => number {
  let peakKb = 0;
  const sampler = setInterval(() => {
    readFile(`/proc/${pid}/status`, 'utf8').then(
      (status) => {
        peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
      },
      () => undefined,
    );
  }, everyMs);
  return () => {
    clearInterval(sampler);
    return peakKb * 1024;
  };
}
